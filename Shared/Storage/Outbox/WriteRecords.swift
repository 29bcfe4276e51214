public import Foundation
public import Logging
public import PostgresNIO

/// What a write records besides its own change: its audit entries, its events, and the
/// answer stored under its idempotency key, in one statement as the write's last step
/// (one round trip instead of one per row kind; a write's cost is mostly round trips).
public enum WriteRecords {
    /// A write's answer, kept under the key that claimed it.
    public struct Answer: Sendable {
        public var principal: String
        public var key: String
        public var response: Data

        public init(principal: String, key: String, response: Data) {
            self.principal = principal
            self.key = key
            self.response = response
        }
    }

    /// Inserts `entries` and `events` and stores `answer`, in the transaction `connection` is
    /// in. Returns the entries' ids.
    @discardableResult
    public static func insert(
        entries: [AuditRecord],
        events: [OutboxEvent],
        answer: Answer?,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> [Int64] {
        guard let query = try Self.query(entries: entries, events: events, answer: answer, nowMicros: Timestamps.nowMicros()) else { return [] }
        var ids: [Int64] = []
        for try await id in try await connection.query(query, logger: logger).decode(Int64.self) {
            ids.append(id)
        }
        return ids
    }

    /// The statement, nil when there is nothing to record. Data-modifying CTEs all run,
    /// whatever the final SELECT reads.
    static func query(entries: [AuditRecord], events: [OutboxEvent], answer: Answer?, nowMicros: Int64) throws -> PostgresQuery? {
        var bindings = PostgresBindings()
        var parts: [String] = []
        func bind<Value: PostgresThrowingDynamicTypeEncodable>(_ value: Value) throws -> String {
            try bindings.append(value)
            return "$\(bindings.count)"
        }
        let now = try bind(nowMicros)
        if !entries.isEmpty {
            parts.append(
                """
                entries AS (
                    INSERT INTO audit_trail (recorded_at_micros, principal, action, outcome, object, detail, request_id)
                    SELECT \(now), * FROM unnest(\(try bind(entries.map(\.principal)))::text[], \(try bind(entries.map(\.action)))::text[],
                        \(try bind(entries.map(\.outcome.rawValue)))::text[], \(try bind(entries.map(\.object)))::text[],
                        \(try bind(entries.map(\.detail)))::text[], \(try bind(entries.map(\.requestID)))::text[])
                    RETURNING entry_id)
                """
            )
        }
        if !events.isEmpty {
            parts.append(
                """
                events AS (
                    INSERT INTO outbox (type, subject, payload, occurred_at_micros)
                    SELECT t, s, p, \(now) FROM unnest(\(try bind(events.map(\.type)))::text[], \(try bind(events.map(\.subject)))::text[],
                        \(try bind(events.map(\.payload)))::text[]) WITH ORDINALITY AS u(t, s, p, n) ORDER BY n)
                """
            )
        }
        if let answer {
            parts.append(
                """
                answer AS (
                    UPDATE idempotency_keys SET response = \(try bind(answer.response))
                    WHERE principal = \(try bind(answer.principal)) AND key = \(try bind(answer.key)))
                """
            )
        }
        guard !parts.isEmpty else { return nil }
        let result = entries.isEmpty ? "SELECT 0::bigint WHERE false" : "SELECT entry_id FROM entries"
        return PostgresQuery(unsafeSQL: "WITH " + parts.joined(separator: ",\n") + "\n" + result, binds: bindings)
    }
}
