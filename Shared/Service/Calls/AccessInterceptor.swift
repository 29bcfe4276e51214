import ConformRuntime
public import ConformSecurity
public import ConformStorage
import Foundation
public import GRPCCore
public import Logging

/// Every call passes here first: the principal is read from the verified client certificate,
/// the service's access policy decides, and the handler runs with a `CallContext` whose
/// logger carries the request id. Errors leaving the handler become statuses with messages
/// a person can act on.
///
/// Every audited call leaves one entry that says how it ended: denied by the access table
/// (before any handler runs), or, once the handler is done and before its answer leaves the
/// service, succeeded, denied, refused or failed with the status code and reason. A write
/// commits that entry inside its own transaction; other calls' entries are group-committed
/// (`AuditEntryQueue`). An answer whose entry cannot be recorded is not sent: no entry, no
/// access. A streaming answer's entry is written before its first message; a stream that
/// then ends in an error adds a second entry saying so.
public struct AccessInterceptor: ServerInterceptor {
    private let policy: AccessPolicy
    private let entries: AuditEntryQueue
    private let logger: Logger
    /// Methods not written to the audit trail: health probes, which every orchestrator sends
    /// every few seconds and which read nothing.
    private let unaudited: Set<String>

    public init(policy: AccessPolicy, database: Database, logger: Logger, unaudited: Set<String> = SharedAccessRules.unaudited) {
        self.policy = policy
        self.entries = AuditEntryQueue(database: database)
        self.logger = logger
        self.unaudited = unaudited
    }

    public func intercept<Input: Sendable, Output: Sendable>(
        request: StreamingServerRequest<Input>,
        context: ServerContext,
        next: (StreamingServerRequest<Input>, ServerContext) async throws -> StreamingServerResponse<Output>
    ) async throws -> StreamingServerResponse<Output> {
        let method = context.descriptor.fullyQualifiedMethod
        let requestID = Self.requestID(from: request.metadata)
        var logger = self.logger
        logger[metadataKey: "request-id"] = "\(requestID)"
        logger[metadataKey: "method"] = "\(method)"

        let principal: Principal
        do {
            guard let certificate = PeerIdentity.certificate(of: context) else {
                throw PrincipalError.missingCertificate
            }
            principal = try Principal(certificate: certificate)
        } catch {
            let refusal = RPCError(code: .unauthenticated, message: "\(error)")
            logger.notice("unauthenticated call refused", metadata: ["reason": "\(refusal.message)", "peer": "\(context.remotePeer)"])
            do {
                try await self.record(principal: "", method: method, requestID: requestID, ending: refusal, logger: logger)
            } catch {
                // The refusal stands either way; an unknown caller learns nothing about the database.
                logger.error("could not record an unauthenticated attempt", metadata: ["error": "\(error)"])
            }
            throw Self.tagged(refusal, requestID)
        }
        logger[metadataKey: "principal"] = "\(principal.name)"

        if case .denied(let reason) = self.policy.decide(method: method, principal: principal) {
            let refusal = RPCError(code: .permissionDenied, message: reason)
            try await self.record(principal: principal.name, method: method, requestID: requestID, ending: refusal, logger: logger)
            logger.notice("call denied", metadata: ["reason": "\(reason)"])
            throw Self.tagged(refusal, requestID)
        }

        let call = CallContext(
            principal: principal,
            requestID: requestID,
            method: method,
            idempotencyKey: request.metadata.firstString(CallMetadata.idempotencyKey),
            logger: logger
        )
        let audited = !self.unaudited.contains(method)
        var response: StreamingServerResponse<Output>
        do {
            response = try await CallContext.$current.withValue(call) {
                try await next(request, context)
            }
        } catch {
            let status = ErrorStatus.rpcError(for: error, requestID: requestID, logger: logger)
            if audited { try await self.record(call, ending: status, cause: error) }
            throw Self.tagged(status, requestID)
        }
        switch response.accepted {
        case .failure(let status):
            if audited { try await self.record(call, ending: status) }
        case .success(var contents):
            // The caller finds its call on the audit trail by it, even when it sent none.
            contents.metadata.addString(requestID, forKey: CallMetadata.requestID)
            if audited, !call.audit.isRecorded {
                try await self.record(call, ending: nil)
                call.audit.recorded()
            }
            // A streaming handler produces its messages after `next` returns: it needs the
            // context, and its errors the same translation, and recording.
            let producer = contents.producer
            let entries = self.entries
            let logger = logger
            contents.producer = { writer in
                do {
                    return try await CallContext.$current.withValue(call) { try await producer(writer) }
                } catch {
                    let status = ErrorStatus.rpcError(for: error, requestID: requestID, logger: logger)
                    if audited {
                        do {
                            try await Self.record(call, ending: status, cause: error, in: entries)
                        } catch {
                            // The stream's opening is recorded; its end could not be.
                            logger.error("could not record how a stream ended", metadata: ["error": "\(error)", "status": "\(status)"])
                        }
                    }
                    throw Self.tagged(status, requestID)
                }
            }
            response.accepted = .success(contents)
        }
        return response
    }

    /// Records how `call` ended (`ending` nil: it succeeded; `cause` what the handler threw),
    /// or throws UNAVAILABLE.
    private func record(_ call: CallContext, ending status: RPCError?, cause: (any Error)? = nil) async throws {
        do {
            try await Self.record(call, ending: status, cause: cause, in: self.entries)
        } catch {
            // No audit entry, no answer.
            throw ErrorStatus.rpcError(for: error, requestID: call.requestID, logger: call.logger)
        }
    }

    private static func record(_ call: CallContext, ending status: RPCError?, cause: (any Error)? = nil, in entries: AuditEntryQueue) async throws {
        let record = AuditRecord(
            principal: call.principal.name,
            action: call.method,
            outcome: CallOutcome.outcome(of: status, cause: cause),
            object: call.audit.object,
            detail: CallOutcome.detail(of: status),
            requestID: call.requestID
        )
        try await entries.append(record, logger: call.logger)
    }

    /// Records a call refused before it had a context: unauthenticated, or denied by the access table.
    private func record(principal: String, method: String, requestID: String, ending status: RPCError, logger: Logger) async throws {
        let record = AuditRecord(
            principal: principal,
            action: method,
            outcome: CallOutcome.outcome(of: status),
            detail: CallOutcome.detail(of: status),
            requestID: requestID
        )
        do {
            try await self.entries.append(record, logger: logger)
        } catch {
            throw ErrorStatus.rpcError(for: error, requestID: requestID, logger: logger)
        }
    }

    /// The caller's request id if it is sane, otherwise a new one.
    /// The refusal with the call's request id in its trailers.
    static func tagged(_ status: RPCError, _ requestID: String) -> RPCError {
        var status = status
        status.metadata.addString(requestID, forKey: CallMetadata.requestID)
        return status
    }

    /// The caller's request id when it is one we keep (1 to 64 of A-Z a-z 0-9 - _ . :), else a
    /// new one; either way the answer's metadata carries the id the trail records.
    static func requestID(from metadata: Metadata) -> String {
        if let given = metadata.firstString(CallMetadata.requestID),
           (1...64).contains(given.count),
           given.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.:".contains($0)) }) {
            return given
        }
        return UUID().uuidString.lowercased()
    }
}

extension Metadata {
    /// The first string value under `key`, if any.
    fileprivate func firstString(_ key: String) -> String? {
        var values = self[stringValues: key].makeIterator()
        return values.next()
    }
}
