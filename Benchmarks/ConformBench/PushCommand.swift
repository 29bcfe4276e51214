import ArgumentParser
import ConformProtos
import ConformWire
import Foundation
import GRPCCore
import Synchronization

/// How long a committed change takes to reach a client watching the feed: one write at a
/// time against an otherwise idle system, from the write's answer to the event's arrival.
struct PushCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push",
        abstract: "Measure how soon a committed write reaches a live feed subscriber, against dev/start.sh's system.",
        discussion: """
            Subscribes to the requirement service's event feed as the auditor, then creates customers PUSH-<run>-<n> \
            one at a time as the quality engineer and times, for each, the span from the write's answer (its commit) to \
            its event arriving on the subscription: the sealer giving it a position, PostgreSQL's NOTIFY, and the feed \
            reading it. Run it on an idle system: it measures latency, not throughput. The customers stay.
            """
    )

    @Option(help: "How many writes, one after another.") var writes = 200
    @Option(help: "The TLS folder with the principals' certificates.") var tlsDir = ".conform/tls"
    @Option(help: "The host the services listen on.") var host = "127.0.0.1"
    @Option(help: "The requirement service's Conform wire port.") var wirePort = 7101

    func validate() throws {
        guard self.writes > 0 else { throw ValidationError("--writes must be positive") }
    }

    func run() async throws {
        let writer = try BenchIdentity.load("quality-engineer", from: self.tlsDir)
        let reader = try BenchIdentity.load("auditor", from: self.tlsDir)
        let run = String(UInt32.random(in: 0 ... .max), radix: 36).uppercased()
        let arrivals = Arrivals()
        let writerTransport = try ConformWireClientTransport(host: self.host, port: self.wirePort, tls: try writer.wireClient())
        let readerTransport = try ConformWireClientTransport(host: self.host, port: self.wirePort, tls: try reader.wireClient())
        let latencies = try await withGRPCClient(transport: readerTransport) { readerClient in
            try await withGRPCClient(transport: writerTransport) { writerClient in
                try await withThrowingTaskGroup(of: [Duration]?.self) { group in
                    let subscribed = AsyncStream.makeStream(of: Void.self)
                    group.addTask {
                        try await Conform_Events_V1_EventFeed.Client(wrapping: readerClient).subscribe(.init()) { response in
                            subscribed.continuation.yield()
                            for try await event in response.messages where event.subject.hasPrefix("customer:PUSH-\(run)-") {
                                arrivals.arrived(event.subject, at: .now)
                            }
                        }
                        return nil
                    }
                    for await _ in subscribed.stream { break }
                    let requirement = Conform_Requirement_V1_RequirementService.Client(wrapping: writerClient)
                    var spans: [Duration] = []
                    // Write 0 only warms up: the subscription has read the feed's history by the time it arrives.
                    for number in 0...self.writes {
                        let code = "PUSH-\(run)-\(number)"
                        _ = try await requirement.createCustomer(.with { $0.code = code; $0.name = "Push customer \(number)"; $0.industry = .other })
                        let answered = ContinuousClock.now
                        guard let arrived = try await arrivals.wait(for: "customer:\(code)", within: .seconds(10)) else {
                            throw BenchError("the event of customer \(code) did not reach the subscriber within 10 s; is the requirement service's sealer running?")
                        }
                        if number > 0 { spans.append(max(.zero, arrived - answered)) }
                    }
                    group.cancelAll()
                    return spans
                }
            }
        }
        let sorted = latencies.sorted()
        func quantile(_ q: Double) -> Duration { sorted[min(sorted.count - 1, Int((Double(sorted.count) * q).rounded(.up)) - 1)] }
        func millis(_ duration: Duration) -> String {
            String(format: "%.1f", Double(duration.components.seconds) * 1_000 + Double(duration.components.attoseconds) / 1e15)
        }
        print("Feed push latency, write answered to event received, \(sorted.count) writes one at a time (run \(run)):")
        print("  p50 \(millis(quantile(0.5))) ms, p90 \(millis(quantile(0.9))) ms, p99 \(millis(quantile(0.99))) ms, max \(millis(sorted.last ?? .zero)) ms")
        print("  target: p99 under 100 ms on an idle system: \(quantile(0.99) < .milliseconds(100) ? "met" : "MISSED")")
    }
}

/// When each awaited event arrived.
private final class Arrivals: Sendable {
    private let times = Mutex<[String: ContinuousClock.Instant]>([:])

    func arrived(_ subject: String, at instant: ContinuousClock.Instant) {
        self.times.withLock { $0[subject] = instant }
    }

    /// The arrival of `subject`, polled briefly; nil if it does not come within `limit`.
    func wait(for subject: String, within limit: Duration) async throws -> ContinuousClock.Instant? {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if let instant = self.times.withLock({ $0.removeValue(forKey: subject) }) { return instant }
            try await Task.sleep(for: .microseconds(200))
        }
        return nil
    }
}
