import ConformDomain
import ConformProtos
import GRPCCore
import GRPCProtobuf
import SwiftProtobuf

/// A refused release as a stranger's client can read it: FAILED_PRECONDITION with the
/// standard `google.rpc.Status` details (grpc-status-details-bin) besides the message.
enum ReleaseRefusal {
    /// `ErrorInfo.reason` of a release refused for unmet requirements or blocked lots.
    static let reason = "RELEASE_BLOCKED"
    static let domain = "conform.batch.v1"

    /// The refusal: an `ErrorInfo`, a `PreconditionFailure` with one violation per unmet
    /// mandatory requirement (`REQUIREMENT_UNMET`, subject `requirement:CUSTOMER/ID vN`) and per
    /// blocked lot (`LOT_BLOCKED`, subject `lot:LOT`), and the whole `ComplianceReport`.
    static func error(
        batch: String,
        blocking: [RequirementCompliance],
        blockedLots: [LotFact],
        report: Conform_Batch_V1_ComplianceReport
    ) -> RPCError {
        let message = Compliance.refusal(batch: batch, blocking: blocking, blockedLots: Compliance.blockedLots(blockedLots))
        var violations = blocking.map { result in
            ErrorDetails.PreconditionFailure.Violation(
                type: "REQUIREMENT_UNMET",
                subject: "requirement:\(result.requirement.label)",
                description: "\(result.requirement.title): missing \(result.missing.joined(separator: "; ")); \(result.daysOverdue) day(s) overdue"
            )
        }
        violations += blockedLots.map { lot in
            ErrorDetails.PreconditionFailure.Violation(
                type: "LOT_BLOCKED",
                subject: "lot:\(lot.lot)",
                description: "blocked at receipt (\(lot.blockedReasons.joined(separator: "; "))) and has no approved exception"
            )
        }
        var details: [ErrorDetails] = [
            .errorInfo(reason: Self.reason, domain: Self.domain, metadata: ["batch": batch]),
            .preconditionFailure(violations: violations),
        ]
        if let packed = try? Google_Protobuf_Any(message: report) {
            details.append(.any(packed))
        }
        let status = GoogleRPCStatus(code: .failedPrecondition, message: message, details: details)
        return RPCError(code: .failedPrecondition, message: message, metadata: status.rpcErrorMetadata)
    }
}
