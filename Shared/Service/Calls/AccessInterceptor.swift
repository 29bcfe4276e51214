import ConformRuntime
public import ConformSecurity
public import ConformStorage
import Foundation
public import GRPCCore
public import Logging

/// Every call passes here first: the principal is read from the verified client certificate,
/// the service's access policy decides, the attempt is written to the audit trail (allowed
/// or denied), and the handler runs with a `CallContext` whose logger carries the request id.
/// Errors leaving the handler become statuses with messages a person can act on.
public struct AccessInterceptor: ServerInterceptor {
    private let policy: AccessPolicy
    private let database: Database
    private let logger: Logger
    /// Methods not written to the audit trail: health probes, which every orchestrator sends
    /// every few seconds and which read nothing.
    private let unaudited: Set<String>

    public init(policy: AccessPolicy, database: Database, logger: Logger, unaudited: Set<String> = SharedAccessRules.unaudited) {
        self.policy = policy
        self.database = database
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
            let reason = "\(error)"
            logger.notice("unauthenticated call refused", metadata: ["reason": "\(reason)", "peer": "\(context.remotePeer)"])
            do {
                try await self.audit(principal: "", method: method, outcome: .denied, reason: reason, requestID: requestID, logger: logger)
            } catch {
                // The refusal stands either way; an unknown caller learns nothing about the database.
                logger.error("could not record an unauthenticated attempt", metadata: ["error": "\(error)"])
            }
            throw RPCError(code: .unauthenticated, message: reason)
        }
        logger[metadataKey: "principal"] = "\(principal.name)"

        switch self.policy.decide(method: method, principal: principal) {
        case .denied(let reason):
            try await self.audit(principal: principal.name, method: method, outcome: .denied, reason: reason, requestID: requestID, logger: logger)
            logger.notice("call denied", metadata: ["reason": "\(reason)"])
            throw RPCError(code: .permissionDenied, message: reason)
        case .allowed:
            if !self.unaudited.contains(method) {
                try await self.audit(principal: principal.name, method: method, outcome: .allowed, reason: nil, requestID: requestID, logger: logger)
            }
        }

        let call = CallContext(
            principal: principal,
            requestID: requestID,
            method: method,
            idempotencyKey: request.metadata.firstString(CallMetadata.idempotencyKey),
            logger: logger
        )
        var response: StreamingServerResponse<Output>
        do {
            response = try await CallContext.$current.withValue(call) {
                try await next(request, context)
            }
        } catch {
            throw ErrorStatus.rpcError(for: error, requestID: requestID, logger: logger)
        }
        // A streaming handler produces its messages after `next` returns: it needs the
        // context, and its errors the same translation.
        if case .success(var contents) = response.accepted {
            let producer = contents.producer
            let logger = logger
            contents.producer = { writer in
                do {
                    return try await CallContext.$current.withValue(call) { try await producer(writer) }
                } catch {
                    throw ErrorStatus.rpcError(for: error, requestID: requestID, logger: logger)
                }
            }
            response.accepted = .success(contents)
        }
        return response
    }

    private func audit(
        principal: String,
        method: String,
        outcome: AuditRecord.Outcome,
        reason: String?,
        requestID: String,
        logger: Logger
    ) async throws {
        let detail = reason.map { JSONText.object(["reason": $0]) } ?? "{}"
        let record = AuditRecord(principal: principal, action: method, outcome: outcome, detail: detail, requestID: requestID)
        do {
            try await AuditTrailStore.append(record, to: self.database, logger: logger)
        } catch {
            // No audit entry, no access: an attempt that cannot be recorded is not served.
            throw ErrorStatus.rpcError(for: error, requestID: requestID, logger: logger)
        }
    }

    /// The caller's request id if it is sane, otherwise a new one.
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
