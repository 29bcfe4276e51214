import ArgumentParser
import ConformProtos
import ConformRuntime
import ConformWire
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import Synchronization

/// What auditing costs a call against dev/start.sh's requirement service: an audited read,
/// an audited write and the unaudited health check, at several calls in flight, over both
/// transports; then, unless told not to, the same SQL straight to PostgreSQL with pgbench.
struct RPCCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rpc",
        abstract: "Measure audited reads and writes against the health check, over both transports, against dev/start.sh's system.",
        discussion: """
            Calls the requirement service as quality-engineer on one client per transport: GetCustomer A (an audited \
            read), CreateCustomer with a new code BR-<run>-<n> and a new idempotency key each time (an audited write; \
            the customers stay), and grpc.health.v1.Health/Check (not audited), each at every level of calls in flight, \
            over the Conform wire and then over HTTP/2. Then pgbench runs the SQL of the read and of the write with as \
            many clients, as the database administrator, and removes the customers it made. Needs the demo data \
            (customer A), which dev/start.sh loads; use CONFORM_BUILD=release dev/start.sh for figures worth comparing.
            """
    )

    @Option(help: "Calls in flight, comma separated.") var concurrency = "1,8,32"
    @Option(help: "Measured seconds per call and level (whole seconds, as pgbench's -T takes them).") var seconds = 5
    @Option(help: "Warm-up seconds before each measured period, not counted.") var warmup = 1.0
    @Option(help: "The TLS folder with the principals' certificates.") var tlsDir = ".conform/tls"
    @Option(help: "The host the services listen on.") var host = "127.0.0.1"
    @Option(help: "The requirement service's Conform wire port.") var wirePort = 7101
    @Option(help: "The requirement service's HTTP/2 gRPC port.") var grpcPort = 7201
    @Flag(name: .customLong("no-pgbench"), help: "Do not run pgbench.") var noPgbench = false
    @Option(help: "The folder dev/start.sh keeps its state in; pgbench finds the cluster's port and administrator password there.")
    var state = ".conform"
    @Option(help: "PostgreSQL's port for pgbench. [default: the one recorded in <state>/postgres/port]") var dbPort: Int?

    /// May create customers (quality engineering) and read them.
    static let principal = "quality-engineer"
    /// `CallMetadata.idempotencyKey` in Shared/Service, which the bench does not link.
    static let idempotencyKey = "idempotency-key"
    /// `CallMetadata.requestID`: marks the bench's calls in the services' logs and audit trail.
    static let requestIDKey = "x-request-id"

    // The targets this measures against.
    static let readToHealthTarget = 0.6
    static let writesPerSecondTarget = 3_000.0
    static let scalingTarget = 3.0
    static let targetLow = 1
    static let targetHigh = 32

    func validate() throws {
        _ = try Self.levels(self.concurrency)
        guard self.seconds > 0, self.warmup >= 0 else { throw ValidationError("--seconds must be positive and --warmup not negative") }
    }

    func run() async throws {
        let levels = try Self.levels(self.concurrency)
        let identity = try BenchIdentity.load(Self.principal, from: self.tlsDir)
        let run = String(UInt32.random(in: 0 ... .max), radix: 36).uppercased()
        let numbers = CustomerNumbers()

        // Found before the calls, so that a missing pgbench is said at once, not minutes later.
        var pgbench: PGBench?
        if self.noPgbench {
            print("pgbench: not run (--no-pgbench)")
        } else {
            switch PGBench.setUp(state: self.state, port: self.dbPort) {
            case .ready(let ready):
                pgbench = ready
                print("pgbench: \(ready.executable) as \(ready.user) on \(ready.host):\(ready.port)/\(ready.database), after the calls")
            case .skipped(let reason):
                print("pgbench: skipped: \(reason)")
            }
        }
        defer { pgbench?.removeDirectory() }

        print(
            "Requirement service as \(Self.principal), run \(run): \(self.seconds) s measured after \(self.warmup) s warm-up, "
                + "per call and level (\(levels.map { String($0) }.joined(separator: ", ")) in flight)"
        )
        var results: [Link: [Cell: Figures]] = [:]
        let wire = try ConformWireClientTransport(host: self.host, port: self.wirePort, tls: try identity.wireClient())
        results[.wire] = try await self.measure(wire, over: .wire, port: self.wirePort, levels: levels, run: run, numbers: numbers)
        // An IP literal goes by address, so TLS checks the certificate's IP entry.
        let isIPv4 = self.host.split(separator: ".").count == 4 && self.host.allSatisfy { $0.isNumber || $0 == "." }
        let http2 = try HTTP2ClientTransport.Posix(
            target: isIPv4 ? .ipv4(address: self.host, port: self.grpcPort) : .dns(host: self.host, port: self.grpcPort),
            transportSecurity: identity.http2Client()
        )
        results[.http2] = try await self.measure(http2, over: .http2, port: self.grpcPort, levels: levels, run: run, numbers: numbers)
        print("\(numbers.taken) customers BR-\(run)-… were created through the service (audited writes: they stay)")

        var sql: [Cell: PGBench.Figures] = [:]
        if let pgbench {
            sql = await self.measure(pgbench, levels: levels)
        }
        self.report(results, sql: sql, levels: levels)
    }

    // MARK: - Calls through the service

    /// Measures every call at every level over one transport, on one client.
    private func measure<Transport: ClientTransport>(
        _ transport: Transport,
        over link: Link,
        port: Int,
        levels: [Int],
        run: String,
        numbers: CustomerNumbers
    ) async throws -> [Cell: Figures] {
        let (warmup, duration) = (Duration.milliseconds(Int64(self.warmup * 1000)), Duration.seconds(self.seconds))
        let endpoint = "\(self.host):\(port)"
        print("\(link.name) at \(endpoint):")
        return try await withGRPCClient(transport: transport) { grpc in
            let health = Grpc_Health_V1_Health.Client(wrapping: grpc)
            let requirement = Conform_Requirement_V1_RequirementService.Client(wrapping: grpc)
            var metadata: Metadata = [:]
            metadata.addString("conform-bench-rpc-\(run)", forKey: Self.requestIDKey)
            let send: @Sendable (Call, CallOptions) async throws -> Void = { [metadata] call, options in
                switch call {
                case .health:
                    _ = try await health.check(.init(), options: options)
                case .read:
                    _ = try await requirement.getCustomer(.with { $0.code = "A" }, metadata: metadata, options: options)
                case .write:
                    let number = numbers.take()
                    var keyed = metadata
                    keyed.addString(UUID().uuidString.lowercased(), forKey: Self.idempotencyKey)
                    _ = try await requirement.createCustomer(
                        .with {
                            $0.code = "BR-\(run)-\(number)"
                            $0.name = "Bench customer \(number)"
                            $0.industry = .other
                        },
                        metadata: keyed,
                        options: options
                    )
                }
            }

            // One of each first, failing with a reason: otherwise a service that is not there,
            // or that refuses the principal, shows only as rows of failed calls. Not waiting
            // for a connection once the first attempt has failed.
            for call in Call.allCases {
                do {
                    try await send(call, Self.options(timeout: .seconds(10), waitForReady: false))
                } catch {
                    throw Self.explain(error, calling: call, over: link, at: endpoint)
                }
            }

            let options = Self.options(timeout: .seconds(30), waitForReady: nil)
            var figures: [Cell: Figures] = [:]
            for level in levels {
                for call in Call.allCases {
                    let worker: @Sendable () async throws -> Void = { try await send(call, options) }
                    let tally = await LoadGenerator.drive(workers: Array(repeating: worker, count: level), warmup: warmup, duration: duration)
                    let result = Figures(tally, seconds: Double(self.seconds))
                    figures[Cell(call: call, inFlight: level)] = result
                    print(
                        "  \(call.name), \(level) in flight: \(Self.grouped(result.callsPerSecond)) calls/s, p50 \(Self.millis(result.p50Micros)) ms, "
                            + "p99 \(Self.millis(result.p99Micros)) ms" + (result.errors > 0 ? ", \(result.errors) failed" : "")
                    )
                }
            }
            return figures
        }
    }

    private static func options(timeout: Duration, waitForReady: Bool?) -> CallOptions {
        var options = CallOptions.defaults
        options.timeout = timeout
        options.waitForReady = waitForReady
        return options
    }

    /// Why the first call of a kind failed, said so that the user knows what to do.
    private static func explain(_ error: any Error, calling call: Call, over link: Link, at endpoint: String) -> BenchError {
        guard let error = error as? RPCError else {
            return BenchError("\(call.name) (\(call.method)) over \(link.name) at \(endpoint) failed: \(error)")
        }
        switch error.code {
        case .unavailable, .deadlineExceeded:
            return BenchError(
                "cannot reach the requirement service over \(link.name) at \(endpoint) (\(error.code): \(error.message)). "
                    + "Is the system running? Start it with dev/start.sh ('dev/start.sh status' shows what runs), "
                    + "or name the host and ports with --host, --wire-port and --grpc-port."
            )
        case .notFound where call == .read:
            return BenchError("there is no customer A (\(error.message)); dev/start.sh loads the demo data that has it")
        case .permissionDenied, .unauthenticated:
            return BenchError(
                "the requirement service refused \(call.method) to \(Self.principal) (\(error.code): \(error.message)); "
                    + "use the certificates dev/start.sh made (--tls-dir, default .conform/tls)"
            )
        default:
            return BenchError("\(call.name) (\(call.method)) over \(link.name) at \(endpoint) failed: \(error.code): \(error.message)")
        }
    }

    // MARK: - The same SQL through pgbench

    /// Runs the audited read's and write's SQL at every level, then removes what it wrote.
    private func measure(_ pgbench: PGBench, levels: [Int]) async -> [Cell: PGBench.Figures] {
        print("pgbench, the same SQL straight to PostgreSQL (\(self.seconds) s each, no warm-up):")
        var figures: [Cell: PGBench.Figures] = [:]
        runs: for level in levels {
            for call in Call.allCases {
                guard let script = call.script else { continue }
                let result = await pgbench.run(script, clients: level, seconds: self.seconds)
                figures[Cell(call: call, inFlight: level)] = result
                if let tps = result.transactionsPerSecond {
                    print("  \(call.name), \(level) clients: \(Self.grouped(tps)) transactions/s")
                }
                if let problem = result.problem {
                    print("  \(call.name), \(level) clients: \(problem)")
                    // Nothing measured: the runs after it would fail the same way.
                    if result.transactionsPerSecond == nil { break runs }
                }
            }
        }
        if let problem = await pgbench.removeRows() {
            print(
                "pgbench: could not remove its rows (\(problem)). As the administrator: "
                    + "DELETE FROM requirement.idempotency_keys WHERE principal = 'pgbench'; "
                    + "DELETE FROM requirement.customers WHERE created_by = 'pgbench' AND code LIKE 'PGB-%';"
            )
        } else {
            print("pgbench: removed its customers and idempotency keys (its audit entries and events stay: the trail is append-only)")
        }
        return figures
    }

    // MARK: - The report

    private func report(_ results: [Link: [Cell: Figures]], sql: [Cell: PGBench.Figures], levels: [Int]) {
        func figures(_ link: Link, _ call: Call, _ level: Int) -> Figures? { results[link]?[Cell(call: call, inFlight: level)] }
        func rate(_ link: Link, _ call: Call, _ level: Int) -> Double? { figures(link, call, level)?.callsPerSecond }
        func transactions(_ call: Call, _ level: Int) -> Double? { sql[Cell(call: call, inFlight: level)]?.transactionsPerSecond }

        print("")
        var table = [["call", "in flight", "wire calls/s", "p50 ms", "p99 ms", "http2 calls/s", "p50 ms", "p99 ms", "pgbench tx/s", "avg ms"]]
        var notes: [String] = []
        for call in Call.allCases {
            for level in levels {
                var row = [call.name, "\(level)"]
                for link in Link.allCases {
                    guard let result = figures(link, call, level) else {
                        row += ["-", "-", "-"]
                        continue
                    }
                    row += [Self.grouped(result.callsPerSecond), Self.millis(result.p50Micros), Self.millis(result.p99Micros)]
                    if result.errors > 0 {
                        notes.append("\(link.short) \(call.name), \(level) in flight: \(result.errors) calls failed; the first: \(result.firstError ?? "?")")
                    }
                }
                let statement = sql[Cell(call: call, inFlight: level)]
                row.append(statement?.transactionsPerSecond.map(Self.grouped) ?? "-")
                row.append(statement?.latencyAverageMillis.map { String(format: "%.2f", $0) } ?? "-")
                table.append(row)
            }
        }
        Self.columns(table).forEach { print($0) }
        print("wire: Conform wire; http2: gRPC over HTTP/2 (one client each). pgbench: the call's SQL with as many clients, no service between.")
        notes.forEach { print("  \($0)") }

        print("")
        var ratios = [["ratio", "wire", "http2", "pgbench", "target"]]
        for level in levels {
            ratios.append([
                "audited read / health, \(level) in flight",
                Self.ratio(rate(.wire, .read, level), rate(.wire, .health, level)),
                Self.ratio(rate(.http2, .read, level), rate(.http2, .health, level)),
                "-",
                level == Self.targetHigh ? ">= " + Self.times(Self.readToHealthTarget) : "",
            ])
        }
        if let low = levels.first, let high = levels.last, low != high {
            for call in Call.allCases {
                ratios.append([
                    "\(call.name), \(high) / \(low) in flight",
                    Self.ratio(rate(.wire, call, high), rate(.wire, call, low)),
                    Self.ratio(rate(.http2, call, high), rate(.http2, call, low)),
                    call.script == nil ? "-" : Self.ratio(transactions(call, high), transactions(call, low)),
                    (low, high) == (Self.targetLow, Self.targetHigh) ? ">= " + Self.times(Self.scalingTarget) : "",
                ])
            }
        }
        Self.columns(ratios).forEach { print($0) }

        print("")
        guard levels.contains(Self.targetLow), levels.contains(Self.targetHigh) else {
            print("Targets: stated at \(Self.targetLow) and \(Self.targetHigh) in flight; measure both (--concurrency 1,8,32) to check them.")
            return
        }
        let (low, high) = (Self.targetLow, Self.targetHigh)
        func verdict(_ value: Double?, _ target: Double, _ text: (Double) -> String) -> String {
            guard let value else { return "not measured" }
            return text(value) + (value >= target ? " met" : " MISSED")
        }
        func quotient(_ top: Double?, _ bottom: Double?) -> Double? {
            guard let top, let bottom, bottom > 0 else { return nil }
            return top / bottom
        }
        let perSecond = { (value: Double) in Self.grouped(value) + "/s" }
        let factor = { (value: Double) in String(format: "%.2fx", value) }
        var targets = [["target (\(high) in flight)", "wire", "http2"]]
        targets.append(
            ["audited read >= \(Self.times(Self.readToHealthTarget)) health, same transport"]
                + Link.allCases.map { link in
                    verdict(quotient(rate(link, .read, high), rate(link, .health, high)), Self.readToHealthTarget, factor)
                }
        )
        targets.append(
            ["audited write >= \(Self.grouped(Self.writesPerSecondTarget)) calls/s"]
                + Link.allCases.map { link in verdict(rate(link, .write, high), Self.writesPerSecondTarget, perSecond) }
        )
        for call in Call.allCases {
            targets.append(
                ["\(call.name): \(high) in flight >= \(Self.times(Self.scalingTarget)) \(low) in flight"]
                    + Link.allCases.map { link in
                        verdict(quotient(rate(link, call, high), rate(link, call, low)), Self.scalingTarget, factor)
                    }
            )
        }
        Self.columns(targets).forEach { print($0) }
    }

    /// Lines of `rows` with each column as wide as its widest cell: the first left-aligned,
    /// the others right-aligned.
    private static func columns(_ rows: [[String]]) -> [String] {
        let count = rows.map(\.count).max() ?? 0
        let widths = (0..<count).map { column in rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { column, cell in
                let padding = String(repeating: " ", count: widths[column] - cell.count)
                return column == 0 ? cell + padding : padding + cell
            }.joined(separator: "  ")
        }
    }

    /// e.g. "12,345".
    static func grouped(_ value: Double) -> String {
        let digits = String(Int(value.rounded()))
        var text = ""
        for (index, digit) in digits.reversed().enumerated() {
            if index > 0, index % 3 == 0 { text.append(",") }
            text.append(digit)
        }
        return String(text.reversed())
    }

    /// A target factor: "0.6x", "3x".
    private static func times(_ factor: Double) -> String { String(format: "%gx", factor) }

    private static func millis(_ micros: UInt64) -> String { String(format: "%.2f", Double(micros) / 1000) }

    private static func ratio(_ top: Double?, _ bottom: Double?) -> String {
        guard let top, let bottom, bottom > 0 else { return "-" }
        return String(format: "%.2fx", top / bottom)
    }

    /// "1,8,32" as levels, ascending, each once.
    static func levels(_ text: String) throws -> [Int] {
        let levels = try text.split(separator: ",").map { part in
            guard let level = Int(part.trimmingCharacters(in: .whitespaces)), (1...1_024).contains(level) else {
                throw ValidationError("--concurrency takes numbers from 1 to 1024, comma separated, like 1,8,32; '\(part)' is not one")
            }
            return level
        }
        guard !levels.isEmpty else { throw ValidationError("--concurrency needs at least one level, like 1,8,32") }
        return Array(Set(levels)).sorted()
    }

    // MARK: - What is measured

    /// The three calls.
    enum Call: CaseIterable, Sendable {
        case health, read, write

        var name: String {
            switch self {
            case .health: "health check"
            case .read: "audited read"
            case .write: "audited write"
            }
        }

        var method: String {
            switch self {
            case .health: "grpc.health.v1.Health/Check"
            case .read: "conform.requirement.v1.RequirementService/GetCustomer"
            case .write: "conform.requirement.v1.RequirementService/CreateCustomer"
            }
        }

        /// The same SQL for pgbench; none for the health check, whose `SELECT 1` says nothing.
        var script: PGBench.Script? {
            switch self {
            case .health: nil
            case .read: .auditedRead
            case .write: .auditedWrite
            }
        }
    }

    /// The two transports.
    enum Link: CaseIterable, Sendable {
        case wire, http2

        var name: String { self == .wire ? "Conform wire" : "gRPC over HTTP/2" }
        var short: String { self == .wire ? "wire" : "http2" }
    }

    /// One call at one level.
    struct Cell: Hashable, Sendable {
        var call: Call
        var inFlight: Int
    }

    /// What one call at one level measured.
    struct Figures: Sendable {
        var callsPerSecond: Double
        var p50Micros: UInt64
        var p99Micros: UInt64
        var errors: Int
        var firstError: String?

        init(_ tally: LoadGenerator.WorkerTally, seconds: Double) {
            self.callsPerSecond = Double(tally.calls) / seconds
            self.p50Micros = tally.histogram.valueAtPercentile(50)
            self.p99Micros = tally.histogram.valueAtPercentile(99)
            self.errors = tally.errors
            self.firstError = tally.firstError
        }
    }
}

/// Numbers the customers a run creates, across its concurrent callers.
final class CustomerNumbers: Sendable {
    private let next = Atomic<Int>(0)

    /// The next number, from 1.
    func take() -> Int {
        self.next.wrappingAdd(1, ordering: .relaxed).newValue
    }

    /// How many were taken.
    var taken: Int { self.next.load(ordering: .relaxed) }
}
