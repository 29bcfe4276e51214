public import Logging
public import PostgresNIO

/// One service's writes commit one at a time from their first audit entry or event on.
///
/// That gives the audit chain its order, and the event feed too: an event's sequence number
/// is drawn only after every earlier writer has committed, so sequence order is commit order
/// and a reader that has seen event N can never later find a committed event below N.
public enum WriteOrder {
    /// Takes the schema's write lock until the transaction `connection` is in ends (again is free).
    public static func lock(on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.write-order'))", logger: logger)
    }
}
