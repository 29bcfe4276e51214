/// One step of a service's schema, applied once, in order, in its own transaction.
///
/// Each service keeps one migration per file, named for what it does; versions start at 1
/// and never change once released.
public struct Migration: Sendable {
    public let version: Int
    public let name: String
    /// The statements, run in order (PostgreSQL's extended protocol takes one at a time).
    public let statements: [String]

    public init(version: Int, name: String, statements: [String]) {
        self.version = version
        self.name = name
        self.statements = statements
    }
}
