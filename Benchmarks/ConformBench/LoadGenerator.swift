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

/// Drives unary calls from concurrent workers for a warm-up and then a measured period;
/// only calls that start and end inside the period count.
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
        /// What the first failed call said, to show the user why calls fail.
        var firstError: String?
    }

    /// Echo calls: `plan.concurrency` workers on each client.
    static func drive<Transport: ClientTransport>(
        clients: [Conform_Wire_V1_WireProbe.Client<Transport>],
        plan: Plan,
        onMeasureStart: @escaping @Sendable () -> Void
    ) async -> WorkerTally {
        let request = Conform_Wire_V1_ProbeRequest.with {
            $0.payload = Data(repeating: 0x5A, count: plan.requestSize)
            $0.responseSize = UInt32(plan.responseSize)
        }
        let workers = clients.flatMap { client -> [@Sendable () async throws -> Void] in
            let echo: @Sendable () async throws -> Void = { _ = try await client.echo(request) }
            return Array(repeating: echo, count: plan.concurrency)
        }
        return await self.drive(workers: workers, warmup: plan.warmup, duration: plan.duration, onMeasureStart: onMeasureStart)
    }

    /// Runs each worker's call back to back, one at a time, until the measured period ends:
    /// as many calls in flight as there are workers.
    static func drive(
        workers: [@Sendable () async throws -> Void],
        warmup: Duration,
        duration: Duration,
        onMeasureStart: @escaping @Sendable () -> Void = {}
    ) async -> WorkerTally {
        let clock = ContinuousClock()
        let measureStart = clock.now + warmup
        let end = measureStart + duration

        return await withTaskGroup(of: WorkerTally.self) { group in
            group.addTask {
                try? await Task.sleep(until: measureStart, clock: clock)
                onMeasureStart()
                return WorkerTally()
            }
            for call in workers {
                group.addTask {
                    var tally = WorkerTally()
                    while true {
                        let began = clock.now
                        if began >= end { break }
                        var failure: (any Error)?
                        do {
                            try await call()
                        } catch {
                            failure = error
                        }
                        let finished = clock.now
                        guard began >= measureStart, finished <= end else { continue }
                        if let failure {
                            tally.errors += 1
                            if tally.firstError == nil { tally.firstError = "\(failure)" }
                        } else {
                            let (seconds, attoseconds) = (finished - began).components
                            _ = tally.histogram.record(UInt64(seconds) * 1_000_000 + UInt64(attoseconds / 1_000_000_000_000))
                            tally.calls += 1
                        }
                    }
                    return tally
                }
            }
            var total = WorkerTally()
            for await tally in group {
                total.histogram.add(tally.histogram)
                total.calls += tally.calls
                total.errors += tally.errors
                total.firstError = total.firstError ?? tally.firstError
            }
            return total
        }
    }
}
