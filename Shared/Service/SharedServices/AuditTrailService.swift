public import ConformProtos
public import ConformStorage
import Foundation
public import GRPCCore

/// `conform.audit.v1.AuditTrail`: read the service's audit trail, verify its hash chain and
/// signed checkpoints, and fetch the newest checkpoint to keep.
public struct AuditTrailService: Conform_Audit_V1_AuditTrail.SimpleServiceProtocol {
    private let database: Database
    private let verifier: AuditVerifier

    public init(database: Database, checker: (any CheckpointChecking)?, sealingDeadline: Duration = .seconds(30)) {
        self.database = database
        self.verifier = AuditVerifier(database: database, checker: checker, sealingDeadline: sealingDeadline)
    }

    public func verify(
        request: Conform_Audit_V1_VerifyAuditTrailRequest,
        context: ServerContext
    ) async throws -> Conform_Audit_V1_VerifyAuditTrailResponse {
        let call = try CallContext.required()
        let result = try await self.verifier.verify(resume: request.resume, logger: call.logger)
        return .with {
            $0.intact = result.isIntact
            $0.entriesChecked = result.entriesChecked
            $0.firstBrokenSequence = UInt64(result.firstBrokenSequence ?? 0)
            $0.problem = result.problem ?? ""
            $0.headHash = result.headHash
            $0.headSequence = UInt64(result.headSequence)
            $0.checkpointsChecked = result.checkpointsChecked
            $0.resumedFromSequence = UInt64(result.resumedFromSequence)
            $0.gaps = result.gaps.map { gap in
                .with {
                    $0.firstEntryID = UInt64(gap.lowerBound)
                    $0.lastEntryID = UInt64(gap.upperBound)
                }
            }
            $0.unsealed = UInt64(result.unsealed)
            $0.unsealedOverdue = UInt64(result.overdueUnsealed)
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
            includeUnsealed: request.includeUnsealed,
            filter: try Self.filter(request),
            in: self.database,
            logger: call.logger
        )
        return .with {
            $0.entries = entries.map { entry in
                .with {
                    $0.entryID = UInt64(entry.entryID)
                    $0.recordedAtMicros = entry.recordedAtMicros
                    $0.principal = entry.record.principal
                    $0.action = entry.record.action
                    $0.outcome = Conform_Audit_V1_AuditOutcome(entry.record.outcome)
                    $0.object = entry.record.object
                    $0.detailJson = entry.record.detail
                    $0.requestID = entry.record.requestID
                    if let seal = entry.seal {
                        $0.sealed = true
                        $0.sequence = UInt64(seal.sequence)
                        $0.sealedAtMicros = seal.sealedAtMicros
                        $0.previousHash = seal.previousHash
                        $0.hash = seal.hash
                    }
                }
            }
        }
    }

    public func getCheckpoint(
        request: Conform_Audit_V1_GetCheckpointRequest,
        context: ServerContext
    ) async throws -> Conform_Audit_V1_AuditCheckpoint {
        let call = try CallContext.required()
        guard let checkpoint = try await AuditVerifier.newestCheckpoint(in: self.database, logger: call.logger) else {
            throw RPCError(code: .notFound, message: "the \(self.database.settings.schema) service has signed no checkpoint yet; its sealer signs one within seconds of the first entry")
        }
        return .with {
            $0.size = UInt64(checkpoint.size)
            $0.headHash = checkpoint.headHash
            $0.signedAtMicros = checkpoint.signedAtMicros
            $0.certificatePem = checkpoint.certificatePEM
            $0.signature = Data(checkpoint.signature)
            $0.schema = self.database.settings.schema
        }
    }
}

extension AuditTrailService {
    /// The request's filters, checked.
    static func filter(_ request: Conform_Audit_V1_ListAuditEntriesRequest) throws -> AuditFilter {
        guard request.recordedFromMicros >= 0, request.recordedUntilMicros >= 0 else {
            throw RPCError(code: .invalidArgument, message: "recorded_from_micros and recorded_until_micros are microseconds since 1970 and cannot be negative")
        }
        if request.recordedFromMicros > 0, request.recordedUntilMicros > 0, request.recordedUntilMicros <= request.recordedFromMicros {
            throw RPCError(
                code: .invalidArgument,
                message: "recorded_until_micros (\(request.recordedUntilMicros)) must be after recorded_from_micros (\(request.recordedFromMicros))"
            )
        }
        let outcome: AuditRecord.Outcome?
        switch request.outcome {
        case .unspecified: outcome = nil
        case .succeeded: outcome = .succeeded
        case .denied: outcome = .denied
        case .refused: outcome = .refused
        case .failed: outcome = .failed
        case .write: outcome = .write
        case .allowed: outcome = .allowed
        case .UNRECOGNIZED(let value):
            throw RPCError(code: .invalidArgument, message: "outcome \(value) is not an AuditOutcome this service knows")
        }
        return AuditFilter(
            principal: request.principal.isEmpty ? nil : request.principal,
            action: request.action.isEmpty ? nil : request.action,
            outcome: outcome,
            recordedFromMicros: request.recordedFromMicros == 0 ? nil : request.recordedFromMicros,
            recordedUntilMicros: request.recordedUntilMicros == 0 ? nil : request.recordedUntilMicros,
            requestID: request.requestID.isEmpty ? nil : request.requestID
        )
    }
}

extension Conform_Audit_V1_AuditOutcome {
    /// The wire's name for an outcome as stored; one this build does not know is unspecified.
    init(_ outcome: AuditRecord.Outcome) {
        switch outcome {
        case .succeeded: self = .succeeded
        case .denied: self = .denied
        case .refused: self = .refused
        case .failed: self = .failed
        case .write: self = .write
        case .allowed: self = .allowed
        default: self = .unspecified
        }
    }
}
