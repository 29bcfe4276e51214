import ConformDomain
import ConformStorage
import Logging
import PostgresNIO

/// Contract reviews in the requirement schema.
enum ContractReviewStore {
    struct Review: Sendable {
        var id: Int64
        var customer: String
        var contractReference: String
        var reviewDate: Day
        var status: String
        var contractOpen: Bool
        var needsRereview: String
        var acceptedBy: String
        var acceptedAtMicros: Int64
        var createdBy: String
        var items: [ContractReviewItem]
    }

    static func create(
        customer: String, contract: String, day: Day, items: [ContractReviewItem], by principal: String,
        on connection: PostgresConnection, logger: Logger
    ) async throws -> Int64 {
        let rows = try await connection.query(
            """
            INSERT INTO contract_reviews (customer, contract_reference, review_date, status, created_by, created_at_micros)
            VALUES (\(customer), \(contract), \(day.description)::date, 'open', \(principal), \(Timestamps.nowMicros()))
            RETURNING id
            """,
            logger: logger
        )
        var id: Int64 = 0
        for try await value in rows.decode(Int64.self) { id = value }
        for item in items { try await Self.insert(item, review: id, on: connection, logger: logger) }
        return id
    }

    static func insert(_ item: ContractReviewItem, review: Int64, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(
            """
            INSERT INTO contract_review_items (review_id, position, requirement_id, version, strength, statement, decision, note)
            VALUES (\(review), \(item.position), \(item.requirementID), \(item.version), \(item.strength.rawValue), \(item.statement),
                    \(item.decision.rawValue), \(item.note))
            """,
            logger: logger
        )
    }

    /// The review, locked for an update when `forUpdate`.
    static func find(_ id: Int64, forUpdate: Bool, on connection: PostgresConnection, logger: Logger) async throws -> Review? {
        let lock = forUpdate ? " FOR UPDATE" : ""
        let rows = try await connection.query(
            """
            SELECT id, customer, contract_reference, review_date::text, status, contract_open, needs_rereview, accepted_by,
                   accepted_at_micros, created_by
            FROM contract_reviews WHERE id = \(id)\(unescaped: lock)
            """,
            logger: logger
        )
        var review: Review?
        for try await (id, customer, contract, date, status, open, rereview, acceptedBy, acceptedAt, createdBy) in rows.decode(
            (Int64, String, String, String, String, Bool, String, String, Int64, String).self
        ) {
            guard let day = Day(date) else { throw DatabaseError(.failed, "contract review \(id) has a bad date '\(date)'") }
            review = Review(
                id: id, customer: customer, contractReference: contract, reviewDate: day, status: status, contractOpen: open,
                needsRereview: rereview, acceptedBy: acceptedBy, acceptedAtMicros: acceptedAt, createdBy: createdBy, items: []
            )
        }
        guard var found = review else { return nil }
        let items = try await connection.query(
            """
            SELECT position, requirement_id, version, strength, statement, decision, note
            FROM contract_review_items WHERE review_id = \(id) ORDER BY position
            """,
            logger: logger
        )
        for try await (position, requirement, version, strength, statement, decision, note) in items.decode(
            (Int, String, String, String, String, String, String).self
        ) {
            guard let strength = RequirementStrength(rawValue: strength), let decision = ReviewDecision(rawValue: decision) else {
                throw DatabaseError(.failed, "item \(position) of contract review \(id) cannot be read back")
            }
            found.items.append(
                ContractReviewItem(position: position, requirementID: requirement, version: version, strength: strength, statement: statement, decision: decision, note: note)
            )
        }
        return found
    }

    static func find(_ id: Int64, in database: Database, logger: Logger) async throws -> Review? {
        try await database.read(logger: logger) { connection in
            try await Self.find(id, forUpdate: false, on: connection, logger: logger)
        }
    }

    static func decide(review: Int64, position: Int, decision: ReviewDecision, note: String, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(
            """
            UPDATE contract_review_items SET decision = \(decision.rawValue), note = \(note)
            WHERE review_id = \(review) AND position = \(position)
            """,
            logger: logger
        )
    }

    static func accept(review: Int64, by principal: String, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(
            """
            UPDATE contract_reviews SET status = 'accepted', accepted_by = \(principal), accepted_at_micros = \(Timestamps.nowMicros()), needs_rereview = ''
            WHERE id = \(review)
            """,
            logger: logger
        )
    }

    static func close(review: Int64, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("UPDATE contract_reviews SET contract_open = false WHERE id = \(review)", logger: logger)
    }

    /// Flags every accepted review of an open contract that reviewed `requirement`; returns their ids.
    static func flagForRereview(customer: String, requirement: String, reason: String, on connection: PostgresConnection, logger: Logger) async throws -> [Int64] {
        let rows = try await connection.query(
            """
            UPDATE contract_reviews SET needs_rereview = \(reason)
            WHERE customer = \(customer) AND status = 'accepted' AND contract_open
              AND id IN (SELECT review_id FROM contract_review_items WHERE requirement_id = \(requirement))
            RETURNING id
            """,
            logger: logger
        )
        var ids: [Int64] = []
        for try await id in rows.decode(Int64.self) { ids.append(id) }
        return ids
    }
}
