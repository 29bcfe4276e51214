public import Logging
import ServiceLifecycle

/// Runs `look` every `interval` until the service shuts down. A look that fails is logged
/// with `failure` and the next one tried: background work must outlive a peer or the
/// database being away for a while.
public func repeatEvery(_ interval: Duration, logger: Logger, failure: String, _ look: () async throws -> Void) async {
    while !Task.isShuttingDownGracefully, !Task.isCancelled {
        do {
            try await look()
        } catch {
            if Task.isShuttingDownGracefully || Task.isCancelled { return }
            logger.warning("\(failure)", metadata: ["error": "\(error)"])
        }
        do {
            try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        } catch {
            return
        }
    }
}
