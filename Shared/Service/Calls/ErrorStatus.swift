import ConformDomain
import ConformStorage
public import GRPCCore
public import Logging

/// Turns whatever a handler threw into the status a client can act on. Faults of ours are
/// logged in full and reported as INTERNAL with the request id, never with their innards.
public enum ErrorStatus {
    public static func rpcError(for error: any Error, requestID: String, logger: Logger) -> RPCError {
        switch error {
        case let error as RPCError:
            return error
        case let error as DomainError:
            switch error {
            case .invalid(let field, let reason):
                return RPCError(code: .invalidArgument, message: "\(field) \(reason)")
            case .notFound(let message):
                return RPCError(code: .notFound, message: message)
            case .alreadyExists(let message):
                return RPCError(code: .alreadyExists, message: message)
            case .failedPrecondition(let message):
                return RPCError(code: .failedPrecondition, message: message)
            case .permissionDenied(let message), .notEligible(let message):
                return RPCError(code: .permissionDenied, message: message)
            }
        case let error as IdempotencyKeyReused:
            return RPCError(code: .failedPrecondition, message: error.description)
        case let error as DatabaseError:
            switch error.kind {
            case .unavailable:
                logger.warning("database unavailable", metadata: ["error": "\(error)"])
                return RPCError(code: .unavailable, message: "the service's database is unavailable (\(error.message)); try again shortly")
            case .timedOut:
                logger.warning("database statement timed out", metadata: ["error": "\(error)"])
                return RPCError(code: .unavailable, message: "the database took too long to answer; try again shortly")
            case .conflict:
                return RPCError(code: .aborted, message: "a concurrent change got in the way; retry the call")
            case .uniqueViolation, .failed:
                break
            }
        case is CancellationError:
            return RPCError(code: .cancelled, message: "the call was cancelled")
        default:
            break
        }
        logger.error("internal error", metadata: ["error": "\(String(reflecting: error))"])
        return RPCError(
            code: .internalError,
            message: "internal error (request id \(requestID)); the details are in the service's log"
        )
    }
}
