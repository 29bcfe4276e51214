public import ConformStorage
public import Logging
public import ServiceLifecycle
import SwiftProtobuf

/// Forgets idempotency keys older than `keptFor`: a retry comes within minutes, and the
/// answers must not pile up for ever. A key used again after that is a new request. Each
/// sweep that drops keys is on the audit trail; replicas may sweep at once.
public struct IdempotencyKeyExpiry: Service {
    let service: String
    let database: Database
    let logger: Logger
    let interval: Duration
    let keptFor: Duration

    public init(service: String, database: Database, logger: Logger, interval: Duration, keptFor: Duration) {
        self.service = service
        self.database = database
        self.logger = logger
        self.interval = interval
        self.keptFor = keptFor
    }

    public func run() async throws {
        await repeatEvery(self.interval, logger: self.logger, failure: "cannot expire idempotency keys; trying again") {
            try await self.sweep()
        }
    }

    /// One sweep, 10,000 keys a transaction until none is left.
    public func sweep() async throws {
        let cutoff = Timestamps.nowMicros() - Timestamps.micros(self.keptFor)
        let writes = Writes(database: self.database)
        while true {
            let context = CallContext.background(service: self.service, task: "expire-idempotency-keys", logger: self.logger)
            let expired = try await writes.write(as: context) { transaction in
                let expired = try await IdempotencyStore.expire(createdBefore: cutoff, limit: 10_000, on: transaction.connection, logger: transaction.logger)
                if expired > 0 {
                    let summary = Google_Protobuf_Struct(fields: [
                        "keys": Google_Protobuf_Value(numberValue: Double(expired)),
                        "created_before_micros": Google_Protobuf_Value(numberValue: Double(cutoff)),
                    ])
                    try await transaction.recordChange(object: "idempotency-keys:expired", before: summary, after: nil)
                }
                return expired
            }
            guard expired > 0 else { return }
            self.logger.info("idempotency keys expired", metadata: ["keys": "\(expired)"])
        }
    }
}
