public import ConformProtos
public import ConformStorage
public import GRPCCore

/// `conform.audit.v1.AuditTrail`: read the service's audit trail and verify its hash chain.
public struct AuditTrailService: Conform_Audit_V1_AuditTrail.SimpleServiceProtocol {
    private let database: Database

    public init(database: Database) {
        self.database = database
    }

    public func verify(
        request: Conform_Audit_V1_VerifyAuditTrailRequest,
        context: ServerContext
    ) async throws -> Conform_Audit_V1_VerifyAuditTrailResponse {
        let call = try CallContext.required()
        let result = try await AuditTrailStore.verify(self.database, logger: call.logger)
        return .with {
            $0.intact = result.isIntact
            $0.entriesChecked = result.entriesChecked
            $0.firstBrokenSequence = UInt64(result.firstBrokenSequence ?? 0)
            $0.problem = result.problem ?? ""
            $0.headHash = result.headHash
        }
    }

    public func listEntries(
        request: Conform_Audit_V1_ListAuditEntriesRequest,
        context: ServerContext
    ) async throws -> Conform_Audit_V1_ListAuditEntriesResponse {
        let call = try CallContext.required()
        guard request.afterSequence <= UInt64(Int64.max) else {
            throw RPCError(code: .invalidArgument, message: "after_sequence \(request.afterSequence) is out of range")
        }
        guard request.limit <= 1000 else {
            throw RPCError(code: .invalidArgument, message: "limit \(request.limit) is too large; at most 1000 entries per page")
        }
        let limit = request.limit == 0 ? 100 : Int(request.limit)
        let entries = try await AuditTrailStore.entries(
            after: Int64(request.afterSequence),
            limit: limit,
            in: self.database,
            logger: call.logger
        )
        return .with {
            $0.entries = entries.map { entry in
                .with {
                    $0.sequence = UInt64(entry.sequence)
                    $0.recordedAtMicros = entry.recordedAtMicros
                    $0.principal = entry.record.principal
                    $0.action = entry.record.action
                    $0.outcome = entry.record.outcome.rawValue
                    $0.object = entry.record.object
                    $0.detailJson = entry.record.detail
                    $0.requestID = entry.record.requestID
                    $0.previousHash = entry.previousHash
                    $0.hash = entry.hash
                }
            }
        }
    }
}
