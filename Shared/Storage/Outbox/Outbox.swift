import Foundation
public import Logging
public import PostgresNIO

/// A domain event, written in the same transaction as the state change it describes.
public struct OutboxEvent: Sendable, Equatable {
    /// e.g. "customer.created".
    public var type: String
    /// e.g. "customer:A".
    public var subject: String
    /// The event's content as JSON.
    public var payload: String

    public init(type: String, subject: String, payload: String) {
        self.type = type
        self.subject = subject
        self.payload = payload
    }
}

/// An event as the feed serves it.
public struct PublishedEvent: Sendable, Equatable {
    public var cursor: OutboxCursor
    public var event: OutboxEvent
    public var occurredAtMicros: Int64
}

/// A position in a service's event feed: the writing transaction and the row within it.
///
/// Events are served in (transaction, sequence) order, and only from transactions older
/// than every transaction still in progress, so a slow transaction that commits late can
/// never land behind a cursor a consumer has already passed.
public struct OutboxCursor: Sendable, Hashable, CustomStringConvertible {
    public var transactionID: UInt64
    public var sequence: Int64

    /// Before the first event.
    public static let start = OutboxCursor(transactionID: 0, sequence: 0)

    public init(transactionID: UInt64, sequence: Int64) {
        self.transactionID = transactionID
        self.sequence = sequence
    }

    /// Parses the text form, "" meaning the start. Nil when it is not a cursor.
    public init?(_ text: String) {
        if text.isEmpty {
            self = .start
            return
        }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let transaction = UInt64(parts[0]), let sequence = Int64(parts[1]), sequence >= 0 else {
            return nil
        }
        self.init(transactionID: transaction, sequence: sequence)
    }

    /// "transaction:sequence".
    public var description: String { "\(self.transactionID):\(self.sequence)" }
}

/// The outbox table of one service's schema.
public enum Outbox {
    /// Records `event` in the transaction `connection` is in.
    public static func append(_ event: OutboxEvent, on connection: PostgresConnection, logger: Logger) async throws {
        let micros = Int64((Date().timeIntervalSince1970 * 1_000_000).rounded())
        try await connection.query(
            """
            INSERT INTO outbox (type, subject, payload, occurred_at_micros)
            VALUES (\(event.type), \(event.subject), \(event.payload), \(micros))
            """,
            logger: logger
        )
    }

    /// Up to `limit` committed events after `cursor`, in feed order.
    public static func events(
        after cursor: OutboxCursor,
        limit: Int,
        in database: Database,
        logger: Logger
    ) async throws -> [PublishedEvent] {
        let transaction = String(cursor.transactionID)
        let sequence = cursor.sequence
        return try await database.read(logger: logger) { connection in
            let rows = try await connection.query(
                """
                SELECT transaction_id::text, sequence, type, subject, payload, occurred_at_micros
                FROM outbox
                WHERE (transaction_id, sequence) > (\(transaction)::xid8, \(sequence))
                  AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
                ORDER BY transaction_id, sequence
                LIMIT \(limit)
                """,
                logger: logger
            )
            var events: [PublishedEvent] = []
            for try await (transaction, sequence, type, subject, payload, micros) in rows.decode(
                (String, Int64, String, String, String, Int64).self
            ) {
                events.append(
                    PublishedEvent(
                        cursor: OutboxCursor(transactionID: UInt64(transaction) ?? 0, sequence: sequence),
                        event: OutboxEvent(type: type, subject: subject, payload: payload),
                        occurredAtMicros: micros
                    )
                )
            }
            return events
        }
    }
}
