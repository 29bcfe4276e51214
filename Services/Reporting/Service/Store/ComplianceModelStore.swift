import ConformDomain
import ConformStorage
import Logging
import PostgresNIO

/// Each batch's compliance in the reporting schema, and which batches need it read again.
enum ComplianceModelStore {
    /// Marks the batch an event touched, in the event's own transaction, so the refresher
    /// reads its compliance again. A newer mark replaces an older one.
    static func mark(_ touch: BatchTouch, atMicros micros: Int64, on connection: PostgresConnection, logger: Logger) async throws {
        let batch: String?
        switch touch {
        case .batch(let number):
            batch = number
        case .itemAttached(let item, let number):
            try await connection.query(
                "INSERT INTO item_batches (item, batch) VALUES (\(item), \(number)) ON CONFLICT (item) DO NOTHING",
                logger: logger
            )
            batch = number
        case .item(let item):
            let rows = try await connection.query("SELECT batch FROM item_batches WHERE item = \(item)", logger: logger)
            var found: String?
            for try await number in rows.decode(String.self) { found = number }
            batch = found
        }
        guard let batch else { return }
        try await connection.query(
            """
            INSERT INTO stale_batches (number, since_micros) VALUES (\(batch), \(micros))
            ON CONFLICT (number) DO UPDATE SET since_micros = EXCLUDED.since_micros, claimed_until_micros = 0
            """,
            logger: logger
        )
    }

    /// Claims up to `limit` batches whose compliance must be read again, for `claim`: no other
    /// replica takes them meanwhile, and if this one dies they are free again when it ends.
    /// A batch marked again while claimed is free again at once (`mark`).
    static func claimStale(limit: Int, for claim: Duration, in database: Database, logger: Logger) async throws -> [(number: String, since: Int64)] {
        let seconds = claim.components.seconds
        // One statement, committed on its own and waking nobody: the refresher that claims
        // must not wake itself.
        return try await database.statement(logger: logger) { connection in
            let rows = try await connection.query(
                """
                -- The database's clock, so replicas' clocks need not agree.
                UPDATE stale_batches SET claimed_until_micros = (extract(epoch FROM clock_timestamp()) * 1000000)::bigint + \(seconds) * 1000000
                WHERE number IN (
                    SELECT number FROM stale_batches WHERE claimed_until_micros < (extract(epoch FROM clock_timestamp()) * 1000000)::bigint
                    ORDER BY since_micros LIMIT \(limit) FOR UPDATE SKIP LOCKED
                )
                RETURNING number, since_micros
                """,
                logger: logger
            )
            var batches: [(number: String, since: Int64)] = []
            for try await (number, since) in rows.decode((String, Int64).self) { batches.append((number, since)) }
            return batches.sorted { $0.since < $1.since }
        }
    }

    /// Replaces a batch's compliance, and clears its mark unless a newer event marked it again.
    static func replace(
        batch: String, with states: [RequirementState], amendments: [String] = [], mark since: Int64, on connection: PostgresConnection, logger: Logger
    ) async throws {
        try await connection.query("DELETE FROM batch_compliance WHERE batch = \(batch)", logger: logger)
        let now = Timestamps.nowMicros()
        for state in states {
            try await connection.query(
                """
                INSERT INTO batch_compliance (batch, customer, requirement_id, version, mandatory, state, missing, evidence, evaluated_at_micros)
                VALUES (\(batch), \(state.customer), \(state.requirementID), \(state.version), \(state.isMandatory), \(state.state),
                        \(state.missing), \(state.evidence), \(now))
                """,
                logger: logger
            )
        }
        try await connection.query(
            "UPDATE batch_summaries SET evaluated_at_micros = \(now), amendments = \(amendments) WHERE number = \(batch)", logger: logger
        )
        try await connection.query("DELETE FROM stale_batches WHERE number = \(batch) AND since_micros = \(since)", logger: logger)
    }

    /// Forgets a batch that no longer exists (deleted after its retention): its summary and
    /// compliance, so reports, exports and dashboards no longer count it.
    static func forget(batch: String, mark since: Int64, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("DELETE FROM batch_compliance WHERE batch = \(batch)", logger: logger)
        try await connection.query("DELETE FROM batch_summaries WHERE number = \(batch)", logger: logger)
        try await connection.query("DELETE FROM stale_batches WHERE number = \(batch) AND since_micros = \(since)", logger: logger)
    }
}

extension ComplianceModelStore {
    /// Open batches of a customer or of a product, and their compliance rows.
    static func active(customer: String?, product: String?, in database: Database, logger: Logger) async throws -> ([BatchSummary], [ComplianceRow]) {
        try await database.read(logger: logger) { connection in
            let batchRows = try await connection.query(
                """
                SELECT number, customer, product, status, manufacture_date::text, evaluated_at_micros FROM batch_summaries
                WHERE status = 'open' AND (\(customer)::text IS NULL OR customer = \(customer)) AND (\(product)::text IS NULL OR product = \(product))
                ORDER BY number
                """,
                logger: logger
            )
            var batches: [BatchSummary] = []
            for try await (number, customer, product, status, date, evaluatedAt) in batchRows.decode((String, String, String, String, String, Int64).self) {
                guard let day = Day(date) else { continue }
                batches.append(BatchSummary(number: number, customer: customer, product: product, status: status, manufactureDate: day, isEvaluated: evaluatedAt > 0))
            }
            guard !batches.isEmpty else { return ([], []) }
            let rows = try await connection.query(
                """
                SELECT batch, customer, requirement_id, version, mandatory, state, missing FROM batch_compliance
                WHERE batch = ANY(\(batches.map(\.number))) AND (\(customer)::text IS NULL OR customer = \(customer))
                """,
                logger: logger
            )
            var compliance: [ComplianceRow] = []
            for try await (batch, customer, id, version, mandatory, state, missing) in rows.decode((String, String, String, String, Bool, String, [String]).self) {
                compliance.append(ComplianceRow(
                    batch: batch,
                    requirement: RequirementState(customer: customer, requirementID: id, version: version, isMandatory: mandatory, state: state, missing: missing)
                ))
            }
            return (batches, compliance)
        }
    }
}
