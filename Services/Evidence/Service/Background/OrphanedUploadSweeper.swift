import ConformService
import ConformStorage
import Logging
import ServiceLifecycle
import SwiftProtobuf

/// Sweeps the chunks of uploads that stopped arriving: a replica that crashed mid-upload
/// cannot drop them itself. An upload counts as abandoned once none of its chunks arrived
/// for `abandonedAfter`; were it to go on after that, its commit refuses it (ContentStore).
/// Each sweep that drops anything is on the audit trail; replicas may sweep at once.
struct OrphanedUploadSweeper: Service {
    let database: Database
    let logger: Logger
    let interval: Duration
    let abandonedAfter: Duration

    func run() async throws {
        await repeatEvery(self.interval, logger: self.logger, failure: "cannot sweep abandoned uploads; trying again") {
            try await self.sweep()
        }
    }

    /// One sweep, in rounds of at most 100 uploads until none is left.
    func sweep() async throws {
        let cutoff = Timestamps.nowMicros() - Timestamps.micros(self.abandonedAfter)
        let writes = Writes(database: self.database)
        while true {
            let context = CallContext.background(service: "evidence", task: "sweep-abandoned-uploads", logger: self.logger)
            let swept = try await writes.write(as: context) { transaction in
                let swept = try await ContentStore.sweepOrphanedUploads(
                    stagedBefore: cutoff, limit: 100, on: transaction.connection, logger: transaction.logger
                )
                if swept.uploads > 0 {
                    try await transaction.recordChange(object: "uploads:abandoned", before: Self.summary(swept, cutoff: cutoff), after: nil)
                }
                return swept
            }
            guard swept.uploads > 0 else { return }
            self.logger.notice("swept abandoned uploads", metadata: ["uploads": "\(swept.uploads)", "chunks": "\(swept.chunks)"])
        }
    }

    private static func summary(_ swept: (uploads: Int, chunks: Int), cutoff: Int64) -> Google_Protobuf_Struct {
        Google_Protobuf_Struct(fields: [
            "uploads": Google_Protobuf_Value(numberValue: Double(swept.uploads)),
            "chunks": Google_Protobuf_Value(numberValue: Double(swept.chunks)),
            "no_chunk_since_micros": Google_Protobuf_Value(numberValue: Double(cutoff)),
        ])
    }
}
