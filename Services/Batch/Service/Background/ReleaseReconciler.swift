import ConformService
import ConformStorage
import Logging
import ServiceLifecycle

/// Finishes releases cut short: a replica that crashed, or an evidence service that was away,
/// between a release's steps. A release whose last step is older than `stalledAfter` is taken
/// on from where it stands: signed (the same signed request gets the same signature, or is
/// abandoned when it can no longer be signed), then released. One replica at a time does it
/// (a lease); releases are also finished by the same request sent again.
struct ReleaseReconciler: Service {
    let handlers: BatchHandlers
    let logger: Logger
    let interval: Duration
    let stalledAfter: Duration

    func run() async throws {
        await repeatEvery(self.interval, logger: self.logger, failure: "cannot look for stalled releases; trying again") {
            try await self.look()
        }
    }

    /// One look: every stalled release taken on once.
    func look() async throws {
        let cutoff = Timestamps.nowMicros() - Timestamps.micros(self.stalledAfter)
        for release in try await ReleaseStore.stalled(before: cutoff, limit: 20, in: self.handlers.database, logger: self.logger) {
            let context = CallContext.background(service: "batch", task: "release-reconciler", logger: self.logger)
            do {
                let decision = try await CallContext.$current.withValue(context) { try await self.handlers.drive(release) }
                self.logger.notice("a stalled release was finished", metadata: ["release": "\(release.id)", "batch": "\(release.batch)", "released": "\(decision.released)"])
            } catch {
                // Abandoned (on the trail by its own entry), or not finished yet: tried again
                // after the others, later each time, so one that keeps failing holds none up.
                let attempts = release.attempts + 1
                let backoff = min(Int64(1) << min(attempts, 10), 600) * 1_000_000
                _ = try? await ReleaseStore.noteFailedAttempt(release.id, error: "\(error)", backoff: backoff, in: self.handlers.database, logger: self.logger)
                let level: Logger.Level = attempts >= 5 ? .error : .warning
                self.logger.log(
                    level: level, "a stalled release was not finished",
                    metadata: ["release": "\(release.id)", "batch": "\(release.batch)", "attempts": "\(attempts)", "error": "\(error)"]
                )
            }
        }
    }
}
