import ConformStorage
import Logging
import NIOFileSystem
import ServiceLifecycle

/// Works through the delivery queue: writes each queued export into its customer's drop
/// folder (`<export dir>/<customer>/<file>`), retrying with growing pauses, and gives up
/// after `maxAttempts`, leaving the delivery failed with its last error for someone to see.
struct DeliveryCourier: Service {
    let database: Database
    let directory: String
    let logger: Logger
    let interval: Duration
    var maxAttempts = 6

    func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                try await self.deliverDue()
            } catch {
                if Task.isShuttingDownGracefully || Task.isCancelled { return }
                self.logger.warning("cannot read the delivery queue; trying again", metadata: ["error": "\(error)"])
            }
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: self.interval) }
            } catch {
                return
            }
        }
    }

    func deliverDue() async throws {
        for (delivery, content) in try await ExportStore.due(limit: 20, in: self.database, logger: self.logger) {
            let folder = FilePath(self.directory).appending(delivery.customer)
            let destination = folder.appending(delivery.fileName)
            do {
                try await FileSystem.shared.createDirectory(at: folder, withIntermediateDirectories: true, permissions: nil)
                // Written beside its destination, then renamed, so the customer's side never
                // reads half a file.
                let partial = folder.appending(".\(delivery.fileName).partial")
                _ = try await FileSystem.shared.withFileHandle(forWritingAt: partial, options: .newFile(replaceExisting: true)) { file in
                    try await file.write(contentsOf: content, toAbsoluteOffset: 0)
                }
                // A name carries its revision, so a file already there holds the same content
                // (an attempt that delivered but could not record it).
                try await FileSystem.shared.replaceItem(at: destination, withItemAt: partial)
                try await ExportStore.delivered(id: delivery.id, path: destination.string, in: self.database, logger: self.logger)
                self.logger.info("export delivered", metadata: ["customer": "\(delivery.customer)", "path": "\(destination.string)"])
            } catch {
                let attempts = delivery.attempts + 1
                let givingUp = attempts >= self.maxAttempts
                let pauseSeconds = min(3_600, 1 << min(attempts, 12))
                let next = Timestamps.nowMicros() + Int64(pauseSeconds) * 1_000_000
                self.logger.warning(
                    "export delivery failed",
                    metadata: ["customer": "\(delivery.customer)", "file": "\(delivery.fileName)", "attempt": "\(attempts)", "giving_up": "\(givingUp)", "error": "\(error)"]
                )
                try await ExportStore.failed(
                    id: delivery.id, error: "cannot write \(destination.string): \(error)", nextAttemptAtMicros: next, givingUp: givingUp,
                    in: self.database, logger: self.logger
                )
            }
        }
    }
}
