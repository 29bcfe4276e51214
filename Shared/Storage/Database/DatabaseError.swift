public import PostgresNIO

/// A database failure, classified by what the caller can do about it.
public struct DatabaseError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable {
        /// The database cannot be reached or went away; trying again later may work.
        case unavailable
        /// A statement ran past the statement timeout or waited too long for a lock.
        case timedOut
        /// A unique constraint refused the row; `constraint` names it.
        case uniqueViolation
        /// A concurrent transaction got in the way (serialization failure, deadlock).
        case conflict
        /// Anything else: a fault of ours, logged in full and reported without detail.
        case failed
    }

    public let kind: Kind
    public let message: String
    /// For a unique violation, the constraint that refused the row.
    public let constraint: String?

    public init(_ kind: Kind, _ message: String, constraint: String? = nil) {
        self.kind = kind
        self.message = message
        self.constraint = constraint
    }

    /// Classifies a PostgresNIO error by its SQLSTATE or connection state.
    public init(classifying error: PSQLError) {
        let sqlState = error.serverInfo?[.sqlState]
        let detail = error.serverInfo?[.message] ?? "\(error.code)"
        switch (error.code, sqlState) {
        case (_, "23505"?):
            self.init(.uniqueViolation, detail, constraint: error.serverInfo?[.constraintName])
        case (_, "57014"?), (_, "55P03"?):
            self.init(.timedOut, detail)
        case (_, "40001"?), (_, "40P01"?):
            self.init(.conflict, detail)
        case (_, let state?) where state.hasPrefix("08") || state.hasPrefix("57P"):
            // Connection exceptions, and the server shutting down or restarting.
            self.init(.unavailable, detail)
        case (.connectionError, _), (.serverClosedConnection, _), (.clientClosedConnection, _),
             (.poolClosed, _), (.uncleanShutdown, _):
            self.init(.unavailable, "the database connection failed (\(error.code))")
        default:
            self.init(.failed, detail)
        }
    }

    public var description: String { "\(self.kind): \(self.message)" }
}
