import ArgumentParser
import ConformProtos
import ConformRuntime
import ConformWire
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import Synchronization

/// Measures both transports against the same probe handler, one after the other.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Drive C connections x M outstanding unary calls through each transport and report the figures."
    )

    @Option(name: .customLong("connections"), help: "Client connections (C).")
    var connections = 1

    @Option(name: .customLong("concurrency"), help: "Outstanding calls per connection (M).")
    var concurrency = 1

    @Option(help: "Measured seconds per transport.")
    var duration = 10.0

    @Option(help: "Warm-up seconds per transport, not measured.")
    var warmup = 3.0

    @Option(help: "Request payload bytes.")
    var requestSize = 300

    @Option(help: "Response payload bytes.")
    var responseSize = 50

    @Option(help: "Transports to measure, comma separated: wire, http2.")
    var transports = "wire,http2"

    @Option(help: "Folder for the development TLS material.")
    var tlsDir = ".conform/bench-tls"

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func validate() throws {
        guard self.connections > 0, self.concurrency > 0 else { throw ValidationError("--connections and --concurrency must be positive") }
        guard self.duration > 0, self.warmup >= 0 else { throw ValidationError("--duration must be positive and --warmup not negative") }
        let known: Set = ["wire", "http2"]
        for name in self.transports.split(separator: ",") where !known.contains(String(name)) {
            throw ValidationError("unknown transport '\(name)'; use wire and/or http2")
        }
    }

    func run() async throws {
        let tls = try BenchTLS.loadOrCreate(in: URL(fileURLWithPath: self.tlsDir))
        let server = try ServerProcess(tlsDir: self.tlsDir)
        defer { server.stop() }
        let plan = LoadGenerator.Plan(
            warmup: .milliseconds(Int64(self.warmup * 1000)),
            duration: .milliseconds(Int64(self.duration * 1000)),
            concurrency: self.concurrency,
            requestSize: self.requestSize,
            responseSize: self.responseSize
        )
        if !self.json {
            print("conform-bench: \(self.connections) connection(s) x \(self.concurrency) outstanding call(s), \(self.requestSize) B request / \(self.responseSize) B response, \(self.warmup)s warm-up + \(self.duration)s measured per transport")
        }

        var results: [LoadResult] = []
        for name in self.transports.split(separator: ",").map(String.init) {
            if !self.json { print("  measuring \(name)...") }
            let result: LoadResult
            switch name {
            case "wire":
                let transports = try (0..<self.connections).map { _ in
                    try ConformWireClientTransport(host: "127.0.0.1", port: server.wirePort, tls: tls.client.wireClient())
                }
                result = try await self.measure(name: name, transports: transports, plan: plan, server: server)
            default:
                let transports = try (0..<self.connections).map { _ in
                    try HTTP2ClientTransport.Posix(
                        target: .ipv4(address: "127.0.0.1", port: server.grpcPort),
                        transportSecurity: tls.client.http2Client()
                    )
                }
                result = try await self.measure(name: name, transports: transports, plan: plan, server: server)
            }
            results.append(result)
        }
        self.report(results)
    }

    private func measure<Transport: ClientTransport>(
        name: String,
        transports: [Transport],
        plan: LoadGenerator.Plan,
        server: ServerProcess
    ) async throws -> LoadResult {
        let clients = transports.map { GRPCClient(transport: $0) }
        let cpuAtStart = Mutex<Duration?>(nil)
        let pid = server.pid
        return try await withThrowingTaskGroup(of: Void.self) { group in
            for client in clients {
                group.addTask { try await client.runConnections() }
            }
            let tally = await LoadGenerator.drive(
                clients: clients.map { Conform_Wire_V1_WireProbe.Client(wrapping: $0) },
                plan: plan,
                onMeasureStart: { cpuAtStart.withLock { $0 = try? ServerProcess.cpuTime(of: pid) } }
            )
            let serverCPU = try ServerProcess.cpuTime(of: pid) - (cpuAtStart.withLock { $0 } ?? .zero)
            for client in clients { client.beginGracefulShutdown() }
            try await group.waitForAll()

            let seconds = Double(plan.duration.components.seconds) + Double(plan.duration.components.attoseconds) / 1e18
            let cpuMicros = Double(serverCPU.components.seconds) * 1e6 + Double(serverCPU.components.attoseconds) / 1e12
            return LoadResult(
                transport: name,
                connections: clients.count,
                concurrency: plan.concurrency,
                seconds: seconds,
                calls: tally.calls,
                errors: tally.errors,
                callsPerSecond: Double(tally.calls) / seconds,
                p50Micros: tally.histogram.valueAtPercentile(50),
                p99Micros: tally.histogram.valueAtPercentile(99),
                p999Micros: tally.histogram.valueAtPercentile(99.9),
                maxMicros: tally.histogram.max,
                serverCPUMicrosPerCall: tally.calls > 0 ? cpuMicros / Double(tally.calls) : 0
            )
        }
    }

    private func report(_ results: [LoadResult]) {
        if self.json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            if let data = try? encoder.encode(results) { print(String(decoding: data, as: UTF8.self)) }
            return
        }
        func pad(_ text: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - text.count)) + text }
        print("")
        print([pad("transport", 9), pad("calls/s", 10), pad("p50 µs", 8), pad("p99 µs", 8), pad("p99.9 µs", 9), pad("max µs", 8), pad("srv CPU µs/call", 16), pad("errors", 7)].joined(separator: " "))
        for r in results {
            print([
                pad(r.transport, 9), pad(String(format: "%.0f", r.callsPerSecond), 10), pad("\(r.p50Micros)", 8),
                pad("\(r.p99Micros)", 8), pad("\(r.p999Micros)", 9), pad("\(r.maxMicros)", 8),
                pad(String(format: "%.1f", r.serverCPUMicrosPerCall), 16), pad("\(r.errors)", 7),
            ].joined(separator: " "))
        }
        if let wire = results.first(where: { $0.transport == "wire" }), let h2 = results.first(where: { $0.transport == "http2" }),
            h2.callsPerSecond > 0, h2.p99Micros > 0
        {
            print("")
            print(String(format: "wire / http2: throughput %.2fx, p99 %.2fx, server CPU per call %.2fx", wire.callsPerSecond / h2.callsPerSecond, Double(wire.p99Micros) / Double(h2.p99Micros), h2.serverCPUMicrosPerCall > 0 ? wire.serverCPUMicrosPerCall / h2.serverCPUMicrosPerCall : 0))
        }
    }
}
