import ConformDomain
import ConformStorage
import Logging
import PostgresNIO

/// What an audit report reads from the read model.
enum AuditReportStore {
    /// Every batch made for `customer` in the period, oldest first, with its compliance.
    static func batches(customer: String, from: Day, to: Day, on connection: PostgresConnection, logger: Logger) async throws -> [(BatchSummary, [RequirementState])] {
        let rows = try await connection.query(
            """
            SELECT b.number, b.product, b.status, b.manufacture_date::text, b.evaluated_at_micros,
                   c.customer, c.requirement_id, c.version, c.mandatory, c.state, c.missing, b.amendments
            FROM batch_summaries b LEFT JOIN batch_compliance c ON c.batch = b.number AND c.customer = b.customer
            WHERE b.customer = \(customer) AND b.manufacture_date BETWEEN \(from.description)::date AND \(to.description)::date
            ORDER BY b.manufacture_date, b.number
            """,
            logger: logger
        )
        var batches: [(BatchSummary, [RequirementState])] = []
        for try await (number, product, status, date, evaluatedAt, owner, id, version, mandatory, state, missing, amendments)
            in rows.decode((String, String, String, String, Int64, String?, String?, String?, Bool?, String?, [String]?, [String]).self) {
            if batches.last?.0.number != number {
                guard let day = Day(date) else { continue }
                batches.append((
                    BatchSummary(
                        number: number, customer: customer, product: product, status: status, manufactureDate: day, isEvaluated: evaluatedAt > 0,
                        amendments: amendments
                    ),
                    []
                ))
            }
            if let owner, let id, let version, let mandatory, let state {
                batches[batches.count - 1].1.append(
                    RequirementState(customer: owner, requirementID: id, version: version, isMandatory: mandatory, state: state, missing: missing ?? [])
                )
            }
        }
        return batches
    }

    /// The archive's items by id, each with whether it is current (not superseded): what the
    /// summary counts and the sample is drawn from, without reading the items themselves.
    static func archiveIdentities(
        customer: String, from: Day, to: Day, requirements: Set<RequirementRef>, on connection: PostgresConnection, logger: Logger
    ) async throws -> [(id: Int64, isCurrent: Bool)] {
        let rows = try await connection.query(
            self.archiveQuery(columns: "e.id, e.superseded_by", customer: customer, from: from, to: to, requirements: requirements, only: nil),
            logger: logger
        )
        var identities: [(id: Int64, isCurrent: Bool)] = []
        // One row per signature: an item signed twice comes twice, in a row.
        for try await (id, supersededBy) in rows.decode((Int64, Int64).self) where identities.last?.id != id {
            identities.append((id, supersededBy == 0))
        }
        return identities
    }

    /// Calls `body` with every evidence item of those batches (those concerning one of
    /// `requirements` when not empty; only the items `only` names when given), superseded ones
    /// too, by id, with the signatures on each and the requirements its batch's compliance
    /// counted it for. On a consolidated batch an item names only `customer`'s requirements,
    /// and an item that concerns only other customers' is theirs, not in this customer's archive.
    ///
    /// Rows are read as `body` consumes them (PostgresNIO applies backpressure), so however
    /// large the archive, only PostgresNIO's buffer of rows (at most 16,384) is in memory at once.
    static func forEachArchivedItem(
        customer: String, from: Day, to: Day, requirements: Set<RequirementRef>, only: [Int64]? = nil,
        on connection: PostgresConnection, logger: Logger, _ body: (ArchivedItem) async throws -> Void
    ) async throws {
        let columns = """
            e.id, e.batch, e.type, e.file_name, e.media_type, e.sha256, e.size, e.uploaded_by, e.uploaded_at_micros,
            e.satisfied, e.superseded_by, s.printed_name, s.signer, s.signed_at_micros, s.meaning, e.own
            """
        let rows = try await connection.query(
            self.archiveQuery(columns: columns, customer: customer, from: from, to: to, requirements: requirements, only: only),
            logger: logger
        )
        var pending: ArchivedItem?
        for try await row in rows {
            let columns = row.makeRandomAccess()
            let id = try columns[0].decode(Int64.self)
            if pending?.id != id {
                if let item = pending { try await body(item) }
                pending = ArchivedItem(
                    id: id, batch: try columns[1].decode(String.self), type: try columns[2].decode(String.self),
                    fileName: try columns[3].decode(String.self), mediaType: try columns[4].decode(String.self),
                    sha256: try columns[5].decode(String.self), size: try columns[6].decode(Int64.self),
                    uploadedBy: try columns[7].decode(String.self), uploadedAtMicros: try columns[8].decode(Int64.self),
                    satisfies: try columns[9].decode([String].self), concerns: try columns[15].decode([String].self),
                    supersededBy: try columns[10].decode(Int64.self), signatures: []
                )
            }
            if let name = try columns[11].decode(String?.self) {
                pending?.signatures.append(SignatureManifestation(
                    printedName: name, signer: try columns[12].decode(String.self),
                    signedAtMicros: try columns[13].decode(Int64.self), meaning: try columns[14].decode(String.self)
                ))
            }
        }
        if let item = pending { try await body(item) }
    }

    /// The archive's rows, one per item and signature, by item id: `columns` is one of the
    /// fixed column lists above, never text from a request.
    private static func archiveQuery(
        columns: String, customer: String, from: Day, to: Day, requirements: Set<RequirementRef>, only: [Int64]?
    ) -> PostgresQuery {
        let asked = requirements.map(\.description).sorted()
        return """
            SELECT \(unescaped: columns)
            FROM batch_summaries b
            JOIN LATERAL (
                SELECT i.*, ARRAY(SELECT r FROM unnest(i.concerns) r WHERE split_part(r, '/', 1) = \(customer)) AS own,
                       ARRAY(SELECT c.customer || '/' || c.requirement_id || ' v' || c.version FROM batch_compliance c
                             WHERE c.batch = i.batch AND c.customer = \(customer) AND c.state = 'satisfied' AND i.id = ANY(c.evidence)
                             ORDER BY 1) AS satisfied
                FROM evidence_items i WHERE i.batch = b.number
            ) e ON cardinality(e.concerns) = 0 OR cardinality(e.own) > 0
            LEFT JOIN signatures s ON s.item = e.id
            WHERE b.customer = \(customer) AND b.manufacture_date BETWEEN \(from.description)::date AND \(to.description)::date
              AND (cardinality(\(asked)::text[]) = 0
                   OR EXISTS (SELECT 1 FROM unnest(e.own) r WHERE split_part(r, ' ', 1) = ANY(\(asked)::text[])))
              AND (\(only == nil) OR e.id = ANY(\(only ?? [])::bigint[]))
            ORDER BY e.id, s.signed_at_micros, s.id
            """
    }
}
