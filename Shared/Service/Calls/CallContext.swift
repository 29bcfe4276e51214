public import ConformSecurity
import GRPCCore
public import Logging

/// What the runtime knows about the call being handled: who is calling, its request id,
/// and a logger that carries both. Set by `AccessInterceptor` for the handler's task.
public struct CallContext: Sendable {
    public var principal: Principal
    /// From the caller's `x-request-id` metadata, or made up when it sent none.
    public var requestID: String
    /// e.g. "conform.requirement.v1.RequirementService/CreateCustomer".
    public var method: String
    /// From the caller's `idempotency-key` metadata, for writes it may retry.
    public var idempotencyKey: String?
    public var logger: Logger

    @TaskLocal public static var current: CallContext?

    /// The context of the call this task is handling.
    ///
    /// - Throws: INTERNAL when called outside a call, which is a wiring fault of ours.
    public static func required() throws -> CallContext {
        guard let current else {
            throw RPCError(code: .internalError, message: "the call context is missing: the access interceptor is not installed")
        }
        return current
    }
}

/// The metadata keys Conform reads from callers.
public enum CallMetadata {
    /// A caller-chosen id that appears on every log line and audit entry of the call.
    public static let requestID = "x-request-id"
    /// Makes a write safe to retry: the same key and request return the first answer.
    public static let idempotencyKey = "idempotency-key"
}
