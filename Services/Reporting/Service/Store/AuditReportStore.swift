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

    /// Every evidence item of those batches (those concerning one of `requirements` when not
    /// empty), superseded ones too, with the signatures on each and the requirements its
    /// batch's compliance counted it for, by id. On a consolidated batch an item names only
    /// `customer`'s requirements, and an item that concerns only other customers' is theirs,
    /// not in this customer's archive.
    static func archive(
        customer: String, from: Day, to: Day, requirements: Set<RequirementRef>, on connection: PostgresConnection, logger: Logger
    ) async throws -> [ArchivedItem] {
        let asked = requirements.map(\.description).sorted()
        let rows = try await connection.query(
            """
            SELECT e.id, e.batch, e.type, e.file_name, e.media_type, e.sha256, e.size, e.uploaded_by, e.uploaded_at_micros,
                   e.satisfied, e.superseded_by, s.printed_name, s.signer, s.signed_at_micros, s.meaning, e.own
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
            ORDER BY e.id, s.signed_at_micros
            """,
            logger: logger
        )
        var items: [ArchivedItem] = []
        for try await row in rows {
            let columns = row.makeRandomAccess()
            let id = try columns[0].decode(Int64.self)
            if items.last?.id != id {
                items.append(ArchivedItem(
                    id: id, batch: try columns[1].decode(String.self), type: try columns[2].decode(String.self),
                    fileName: try columns[3].decode(String.self), mediaType: try columns[4].decode(String.self),
                    sha256: try columns[5].decode(String.self), size: try columns[6].decode(Int64.self),
                    uploadedBy: try columns[7].decode(String.self), uploadedAtMicros: try columns[8].decode(Int64.self),
                    satisfies: try columns[9].decode([String].self), concerns: try columns[15].decode([String].self),
                    supersededBy: try columns[10].decode(Int64.self), signatures: []
                ))
            }
            if let name = try columns[11].decode(String?.self) {
                items[items.count - 1].signatures.append(SignatureManifestation(
                    printedName: name, signer: try columns[12].decode(String.self),
                    signedAtMicros: try columns[13].decode(Int64.self), meaning: try columns[14].decode(String.self)
                ))
            }
        }
        return items
    }
}
