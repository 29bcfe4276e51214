import ConformDomain
public import ConformStorage
public import GRPCCore

/// How a call ended, as its audit entry records it: the rule that sorts a status into
/// succeeded, denied, refused or failed, and the detail that says why.
public enum CallOutcome {
    /// The outcome of a call that ended with `error` (nil: it succeeded), thrown as `cause`:
    /// a domain rule's refusal is refused whatever status it goes out with.
    public static func outcome(of error: RPCError?, cause: (any Error)? = nil) -> AuditRecord.Outcome {
        guard let error else { return .succeeded }
        if case .notEligible = cause as? DomainError { return .refused }
        switch error.code {
        case .permissionDenied, .unauthenticated:
            return .denied
        case .invalidArgument, .notFound, .alreadyExists, .failedPrecondition, .outOfRange, .aborted, .resourceExhausted:
            return .refused
        default:
            return .failed
        }
    }

    /// The entry's detail: the status code and the message the caller was given.
    public static func detail(of error: RPCError?) -> String {
        guard let error else { return "{}" }
        return JSONText.object(["code": Self.name(of: error.code), "reason": error.message])
    }

    /// The code's name as gRPC spells it, e.g. "FAILED_PRECONDITION".
    public static func name(of code: RPCError.Code) -> String {
        switch code {
        case .cancelled: "CANCELLED"
        case .unknown: "UNKNOWN"
        case .invalidArgument: "INVALID_ARGUMENT"
        case .deadlineExceeded: "DEADLINE_EXCEEDED"
        case .notFound: "NOT_FOUND"
        case .alreadyExists: "ALREADY_EXISTS"
        case .permissionDenied: "PERMISSION_DENIED"
        case .resourceExhausted: "RESOURCE_EXHAUSTED"
        case .failedPrecondition: "FAILED_PRECONDITION"
        case .aborted: "ABORTED"
        case .outOfRange: "OUT_OF_RANGE"
        case .unimplemented: "UNIMPLEMENTED"
        case .internalError: "INTERNAL"
        case .unavailable: "UNAVAILABLE"
        case .dataLoss: "DATA_LOSS"
        case .unauthenticated: "UNAUTHENTICATED"
        default: "CODE_\(code.rawValue)"
        }
    }
}
