import ConformProtos
import Foundation
import GRPCCore
import Histogram

/// What one load run measured.
struct LoadResult: Codable {
    var transport: String
    var connections: Int
    var concurrency: Int
    var seconds: Double
    var calls: Int
    var errors: Int
    var callsPerSecond: Double
    var p50Micros: UInt64
    var p99Micros: UInt64
    var p999Micros: UInt64
    var maxMicros: UInt64
    var serverCPUMicrosPerCall: Double
}

/// Drives unary Echo calls from `concurrency` workers on each client for a warm-up and
/// then a measured period; only calls that start and end inside the period count.
enum LoadGenerator {
    struct Plan {
        var warmup: Duration
        var duration: Duration
        var concurrency: Int
        var requestSize: Int
        var responseSize: Int
    }

    struct WorkerTally: Sendable {
        var histogram = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
        var calls = 0
        var errors = 0
    }

    static func drive<Transport: ClientTransport>(
        clients: [Conform_Wire_V1_WireProbe.Client<Transport>],
        plan: Plan,
        onMeasureStart: @escaping @Sendable () -> Void
    ) async -> WorkerTally {
        var request = Conform_Wire_V1_ProbeRequest()
        request.payload = Data(repeating: 0x5A, count: plan.requestSize)
        request.responseSize = UInt32(plan.responseSize)
        let clock = ContinuousClock()
        let measureStart = clock.now + plan.warmup
        let end = measureStart + plan.duration

        return await withTaskGroup(of: WorkerTally.self) { group in
            group.addTask {
                try? await Task.sleep(until: measureStart, clock: clock)
                onMeasureStart()
                return WorkerTally()
            }
            for client in clients {
                for _ in 0..<plan.concurrency {
                    group.addTask { [request] in
                        var tally = WorkerTally()
                        while true {
                            let began = clock.now
                            if began >= end { break }
                            let succeeded: Bool
                            do {
                                _ = try await client.echo(request)
                                succeeded = true
                            } catch {
                                succeeded = false
                            }
                            let finished = clock.now
                            guard began >= measureStart, finished <= end else { continue }
                            if succeeded {
                                let (seconds, attoseconds) = (finished - began).components
                                _ = tally.histogram.record(UInt64(seconds) * 1_000_000 + UInt64(attoseconds / 1_000_000_000_000))
                                tally.calls += 1
                            } else {
                                tally.errors += 1
                            }
                        }
                        return tally
                    }
                }
            }
            var total = WorkerTally()
            for await tally in group {
                total.histogram.add(tally.histogram)
                total.calls += tally.calls
                total.errors += tally.errors
            }
            return total
        }
    }
}
