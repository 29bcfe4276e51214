import ConformService
import ConformStorage
import Logging
import Metrics
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
        await repeatEvery(self.interval, logger: self.logger, failure: "cannot read the delivery queue; trying again") {
            try await self.deliverDue()
        }
    }

    func deliverDue() async throws {
        for (delivery, content) in try await ExportStore.due(limit: 20, in: self.database, logger: self.logger) {
            let folder = FilePath(self.directory).appending(delivery.customer)
            let destination = folder.appending(delivery.fileName)
            // Deliveries are listed to the customer's own principals: they see where in their
            // drop folder, not the server's file system.
            let place = "\(delivery.customer)/\(delivery.fileName)"
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
            } catch {
                let attempts = delivery.attempts + 1
                let givingUp = attempts >= self.maxAttempts
                let pauseSeconds = min(3_600, 1 << min(attempts, 12))
                let next = Timestamps.nowMicros() + Int64(pauseSeconds) * 1_000_000
                self.logger.warning(
                    "export delivery failed",
                    metadata: ["customer": "\(delivery.customer)", "file": "\(delivery.fileName)", "attempt": "\(attempts)", "giving_up": "\(givingUp)", "error": "\(error)"]
                )
                Counter(label: "conform_export_deliveries_total", dimensions: [("outcome", givingUp ? "failed" : "retrying")]).increment()
                let reason = "cannot write \(place) in the drop folder: \(Self.reason(error))"
                _ = try await self.writes.write(as: self.context()) { transaction in
                    try await ExportStore.failed(id: delivery.id, error: reason, nextAttemptAtMicros: next, givingUp: givingUp, in: transaction)
                }
                continue
            }
            // Written: recording it may fail (the database away), and then the next look writes
            // the same file again and records it.
            let recorded = try await self.writes.write(as: self.context()) { transaction in
                try await ExportStore.delivered(id: delivery.id, path: place, in: transaction)
            }
            // Settled by another replica's courier meanwhile: that one counted it.
            guard recorded else { continue }
            Counter(label: "conform_export_deliveries_total", dimensions: [("outcome", "delivered")]).increment()
            self.logger.info("export delivered", metadata: ["customer": "\(delivery.customer)", "path": "\(destination.string)"])
        }
    }

    private var writes: Writes { Writes(database: self.database) }

    private func context() -> CallContext {
        .background(service: "reporting", task: "export-delivery", logger: self.logger)
    }

    /// A file system error's reason without the server's paths in it.
    private static func reason(_ error: any Error) -> String {
        guard let error = error as? FileSystemError else { return "\(error)" }
        return "\(error.code)"
    }
}
