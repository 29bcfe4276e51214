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

/// A position in a service's event feed: the position of the last event consumed.
///
/// Positions are handed out by the sealer after commit, contiguous and in order (`Sealer`),
/// so everything that will ever be served after a cursor is still ahead of it.
public struct OutboxCursor: Sendable, Hashable, CustomStringConvertible {
    public var sequence: Int64

    /// Before the first event.
    public static let start = OutboxCursor(sequence: 0)

    public init(sequence: Int64) {
        self.sequence = sequence
    }

    /// Parses the text form, "" meaning the start. Nil when it is not a cursor.
    public init?(_ text: String) {
        if text.isEmpty {
            self = .start
            return
        }
        guard let sequence = Int64(text), sequence >= 0 else { return nil }
        self.init(sequence: sequence)
    }

    public var description: String { String(self.sequence) }
}

/// The outbox table of one service's schema.
public enum Outbox {
    /// Records `event` in the transaction `connection` is in, with no lock: the sealer gives
    /// it its position once it has committed.
    public static func append(_ event: OutboxEvent, on connection: PostgresConnection, logger: Logger) async throws {
        let micros = Timestamps.nowMicros()
        try await connection.query(
            """
            INSERT INTO outbox (type, subject, payload, occurred_at_micros)
            VALUES (\(event.type), \(event.subject), \(event.payload), \(micros))
            """,
            logger: logger
        )
    }

    /// Up to `limit` positioned events after `cursor`, in feed order.
    public static func events(
        after cursor: OutboxCursor,
        limit: Int,
        in database: Database,
        logger: Logger
    ) async throws -> [PublishedEvent] {
        let sequence = cursor.sequence
        return try await database.read(logger: logger) { connection in
            let rows = try await connection.query(
                """
                SELECT position, type, subject, payload, occurred_at_micros
                FROM outbox WHERE position > \(sequence) ORDER BY position LIMIT \(limit)
                """,
                logger: logger
            )
            var events: [PublishedEvent] = []
            for try await (sequence, type, subject, payload, micros) in rows.decode((Int64, String, String, String, Int64).self) {
                events.append(
                    PublishedEvent(
                        cursor: OutboxCursor(sequence: sequence),
                        event: OutboxEvent(type: type, subject: subject, payload: payload),
                        occurredAtMicros: micros
                    )
                )
            }
            return events
        }
    }
}
