public import ConformStorage
import Foundation
public import Logging
import Metrics
public import ServiceLifecycle

/// Runs the schema's sealer on whichever replica holds its lease: a round as soon as a local
/// write commits, at least every `interval` for other replicas' writes, a signed checkpoint
/// at most every `checkpointInterval`. A replica that dies loses the lease when it expires
/// (seconds) and another takes over; a replica that drains gives it up at once.
public struct SealerService: Service {
    public let database: Database
    public let signer: (any CheckpointSigning)?
    public let lease: WorkLease
    public let logger: Logger
    public var interval: Duration
    public var checkpointInterval: Duration

    public init(
        database: Database,
        signer: (any CheckpointSigning)?,
        replica: String,
        logger: Logger,
        interval: Duration = .milliseconds(100),
        checkpointInterval: Duration = .seconds(10)
    ) {
        self.database = database
        self.signer = signer
        self.lease = WorkLease(name: "sealer", holder: replica)
        self.logger = logger
        self.interval = interval
        self.checkpointInterval = checkpointInterval
    }

    /// The least time between rounds, so that commits are sealed in batches.
    static let batchingPause: Duration = .milliseconds(50)

    /// How long one claim or round may take before the loop gives up on it and goes on.
    static let callLimit: Duration = .seconds(30)

    public func run() async throws {
        let sealer = Sealer(database: self.database)
        let clock = ContinuousClock()
        var holding = false
        var claimedAt: ContinuousClock.Instant?
        var checkpointedAt: ContinuousClock.Instant?
        let sealed = Counter(label: "conform_audit_entries_sealed_total")
        let positioned = Counter(label: "conform_feed_events_positioned_total")
        let rounds = Timer(label: "conform_sealer_round_seconds")
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            let seen = self.database.commits.generation
            var behind = false
            do {
                // Renewed well inside its duration, so a busy holder never loses it.
                if claimedAt.map({ clock.now - $0 > self.lease.duration / 5 }) ?? true {
                    let held = try await abandoning(after: Self.callLimit, "claiming the sealer lease") {
                        try await self.lease.claim(in: self.database, logger: self.logger)
                    }
                    if held != holding {
                        self.logger.info(held ? "holding the sealer lease" : "another replica holds the sealer lease")
                    }
                    holding = held
                    claimedAt = clock.now
                }
                if holding {
                    let checkpointDue = checkpointedAt.map { clock.now - $0 >= self.checkpointInterval } ?? true
                    let start = clock.now
                    let signer = checkpointDue ? self.signer : nil
                    let round = try await abandoning(after: Self.callLimit, "a sealing round") {
                        try await sealer.round(checkpointWith: signer, logger: self.logger)
                    }
                    rounds.recordNanoseconds((clock.now - start).nanoseconds)
                    if round.checkpointed { checkpointedAt = clock.now }
                    sealed.increment(by: round.sealedEntries)
                    positioned.increment(by: round.positionedEvents)
                    behind = round.isBehind
                }
            } catch {
                if Task.isShuttingDownGracefully || Task.isCancelled { break }
                self.logger.warning("sealing failed; trying again", metadata: ["error": "\(error)"])
                claimedAt = nil
            }
            if behind { continue }
            // Commits that arrive within this pause share the next round: one round per commit
            // would cost more than the commits themselves when calls come by the thousand.
            if holding {
                await cancelWhenGracefulShutdown { try? await Task.sleep(for: Self.batchingPause) }
            }
            let wait = holding ? self.interval : self.lease.duration / 2
            await cancelWhenGracefulShutdown { await self.database.commits.wait(past: seen, atMost: wait) }
        }
        if holding {
            // One last round, so what was written before the drain is sealed now, not by the next holder.
            do {
                _ = try await abandoning(after: Self.callLimit, "the last sealing round") {
                    try await sealer.round(checkpointWith: self.signer, logger: self.logger)
                    try await self.lease.release(in: self.database, logger: self.logger)
                }
            } catch {
                self.logger.warning("could not seal or hand over the lease while draining; the next holder takes over when it expires", metadata: ["error": "\(error)"])
            }
        }
    }
}

extension Duration {
    var nanoseconds: Int64 {
        self.components.seconds * 1_000_000_000 + self.components.attoseconds / 1_000_000_000
    }
}
