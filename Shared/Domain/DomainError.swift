/// A rule said no. Domain code throws these; the service runtime turns each into the gRPC
/// status a client acts on. Every message says what is wrong and how to put it right.
public enum DomainError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A field of the request is missing or malformed (INVALID_ARGUMENT).
    case invalid(field: String, reason: String)
    /// The thing asked for does not exist (NOT_FOUND).
    case notFound(String)
    /// The thing to create exists already (ALREADY_EXISTS).
    case alreadyExists(String)
    /// The request is well formed but the state of things does not allow it (FAILED_PRECONDITION).
    case failedPrecondition(String)
    /// The caller is known but may not do this to this object (PERMISSION_DENIED).
    case permissionDenied(String)
    /// The caller may make such a call, but a rule of the domain does not let them do this
    /// one, e.g. sign without the certification a requirement reserves (PERMISSION_DENIED;
    /// its audit entry says refused, not denied).
    case notEligible(String)

    public var description: String {
        switch self {
        case .invalid(let field, let reason): return "\(field): \(reason)"
        case .notFound(let message), .alreadyExists(let message), .failedPrecondition(let message),
             .permissionDenied(let message), .notEligible(let message):
            return message
        }
    }
}
