import ConformDomain
import ConformStorage
import Logging
import PostgresNIO

/// Waivers of a batch's requirements in the batch schema.
enum WaiverStore {
    static func insert(_ waiver: Waiver, batch: String, on connection: PostgresConnection, logger: Logger) async throws {
        do {
            try await connection.query(
                """
                INSERT INTO waivers (batch, customer, requirement_id, reason, approval_reference, waived_by, waived_at_micros)
                VALUES (\(batch), \(waiver.customer), \(waiver.requirementID), \(waiver.reason), \(waiver.approvalReference),
                        \(waiver.waivedBy), \(Timestamps.nowMicros()))
                """,
                logger: logger
            )
        } catch let error as PSQLError where DatabaseError(classifying: error).kind == .uniqueViolation {
            throw DomainError.alreadyExists("\(waiver.customer)/\(waiver.requirementID) is waived for batch \(batch) already")
        }
    }

    static func list(batch: String, in database: Database, logger: Logger) async throws -> [Waiver] {
        try await database.read(logger: logger) { connection in
            let rows = try await connection.query(
                "SELECT customer, requirement_id, reason, approval_reference, waived_by FROM waivers WHERE batch = \(batch) ORDER BY waived_at_micros",
                logger: logger
            )
            var waivers: [Waiver] = []
            for try await (customer, id, reason, reference, by) in rows.decode((String, String, String, String, String).self) {
                waivers.append(Waiver(customer: customer, requirementID: id, reason: reason, approvalReference: reference, waivedBy: by))
            }
            return waivers
        }
    }
}
