import ConformDomain
import ConformProtos
import Foundation

// Supplier domain values to and from their wire messages.

extension ApprovalStatus {
    init?(_ message: Conform_Supplier_V1_ApprovalStatus) {
        switch message {
        case .approved: self = .approved
        case .conditional: self = .conditional
        case .probation: self = .probation
        case .disqualified: self = .disqualified
        case .unspecified, .UNRECOGNIZED: return nil
        }
    }

    var message: Conform_Supplier_V1_ApprovalStatus {
        switch self {
        case .approved: return .approved
        case .conditional: return .conditional
        case .probation: return .probation
        case .disqualified: return .disqualified
        }
    }
}

extension AuditResult {
    init?(_ message: Conform_Supplier_V1_AuditResult) {
        switch message {
        case .passed: self = .passed
        case .passedWithFindings: self = .passedWithFindings
        case .failed: self = .failed
        case .unspecified, .UNRECOGNIZED: return nil
        }
    }

    var message: Conform_Supplier_V1_AuditResult {
        switch self {
        case .passed: return .passed
        case .passedWithFindings: return .passedWithFindings
        case .failed: return .failed
        }
    }
}

extension Supplier {
    func message(createdAtMicros: Int64, createdBy: String) -> Conform_Supplier_V1_Supplier {
        .with {
            $0.code = self.code
            $0.name = self.name
            $0.sites = self.sites
            $0.contacts = self.contacts.map { contact in .with { $0.name = contact.name; $0.email = contact.email; $0.role = contact.role } }
            $0.createdAtMicros = createdAtMicros
            $0.createdBy = createdBy
        }
    }
}

extension AslEntry {
    var message: Conform_Supplier_V1_AslEntry {
        .with {
            $0.supplier = self.supplier
            $0.status = self.status.message
            $0.scope = self.scope
            $0.approvedOn = self.approvedOn.description
            $0.approvedBy = self.approvedBy
            $0.validUntil = self.validUntil.description
            $0.notes = self.notes
        }
    }
}

extension SupplierAudit {
    var message: Conform_Supplier_V1_SupplierAudit {
        .with {
            $0.id = UInt64(self.id)
            $0.supplier = self.supplier
            $0.date = self.date.description
            $0.type = self.type
            $0.auditor = self.auditor
            $0.result = self.result.message
            $0.findings = self.findings
            $0.nextDue = self.nextDue.description
            $0.recordedBy = self.recordedBy
        }
    }
}

extension Receipt {
    var message: Conform_Supplier_V1_Receipt {
        .with {
            $0.lot = self.lot
            $0.supplier = self.supplier
            $0.material = self.material
            $0.quantity = self.quantity
            $0.receivedOn = self.receivedOn.description
            $0.coaEvidence = UInt64(self.coaEvidence ?? 0)
            $0.verdict = self.verdict == .accepted ? .accepted : .blocked
            $0.reasons = self.reasons
            $0.receivedBy = self.receivedBy
            $0.lastAudit = self.lastAudit?.description ?? ""
            $0.exception = switch self.exception {
            case .none: .none
            case .requested: .requested
            case .approved: .approved
            }
            $0.exceptionJustification = self.justification
            $0.exceptionRequestedBy = self.requestedBy
            $0.exceptionApprovedBy = self.approvedBy
            $0.exceptionManifest = self.approvalManifest
            $0.exceptionSignature = self.approvalSignature
            $0.exceptionSignatureID = UInt64(self.approvalSignatureID ?? 0)
        }
    }
}
