public import ConformSecurity
import Foundation
import GRPCCore
public import Logging
import Synchronization

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
    /// The call's own audit entry: whether a write has committed it yet, and what it names.
    public let audit = CallAudit()

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

    /// Work the service does of its own accord (a background task, no caller): it acts as
    /// the service's system principal, `system:<service>`, and each of its writes' entries
    /// names that principal and the task (`<service>/<task>`). With no caller to answer,
    /// there is no call entry: the changes' own entries are its record.
    public static func background(service: String, task: String, logger: Logger) -> CallContext {
        let requestID = "\(task)-\(UUID().uuidString.lowercased())"
        var logger = logger
        logger[metadataKey: "request-id"] = "\(requestID)"
        let context = CallContext(
            principal: Principal(name: Self.systemPrincipalPrefix + service, roles: [.service]),
            requestID: requestID,
            method: "\(service)/\(task)",
            idempotencyKey: nil,
            logger: logger
        )
        context.audit.recorded()
        return context
    }

    /// How the trail names a service acting on its own; no certificate `conform certs issue`
    /// makes can carry it (names hold no ':').
    public static let systemPrincipalPrefix = "system:"
}

/// The metadata keys Conform reads from callers.
public enum CallMetadata {
    /// A caller-chosen id that appears on every log line and audit entry of the call.
    public static let requestID = "x-request-id"
    /// Makes a write safe to retry: the same key and request return the first answer.
    public static let idempotencyKey = "idempotency-key"
}

/// The state of a call's own audit entry, which records how the call ended. A write commits
/// it inside its transaction (one commit instead of two); otherwise `AccessInterceptor`
/// records it when the handler is done, before any answer leaves the service.
public final class CallAudit: Sendable {
    private enum Phase {
        /// Not written: the interceptor writes it.
        case open
        /// In a write transaction that has not committed yet.
        case inWrite
        /// Committed with a write.
        case recorded
    }

    private struct State {
        var phase = Phase.open
        var object = ""
    }

    private let state = Mutex(State())

    /// Names what the call acts on (e.g. "customer:A") in its entry, whichever way it ends.
    public func about(_ object: String) {
        self.state.withLock { $0.object = object }
    }

    /// What the call acts on, "" when not named.
    public var object: String {
        self.state.withLock { $0.object }
    }

    /// Whether a write committed the entry already.
    public var isRecorded: Bool {
        self.state.withLock { $0.phase == .recorded }
    }

    /// The interceptor recorded the entry (a streaming call's, as its stream begins): writes
    /// the stream then makes carry only their changes' entries.
    func recorded() {
        self.state.withLock { $0.phase = .recorded }
    }

    /// True when the write about to commit is to carry the entry: the call's first write.
    func claimForWrite() -> Bool {
        self.state.withLock { state in
            guard state.phase == .open else { return false }
            state.phase = .inWrite
            return true
        }
    }

    /// The write that carried the entry committed, or (`committed` false) did not.
    func writeEnded(committed: Bool) {
        self.state.withLock { state in
            if state.phase == .inWrite { state.phase = committed ? .recorded : .open }
        }
    }
}
