import ConformDomain
import ConformProtos
import ConformService
import Foundation

// Batch domain values to and from their wire messages.

extension BatchStatus {
    var message: Conform_Batch_V1_BatchStatus {
        switch self {
        case .open: return .open
        case .released: return .released
        case .rejected: return .rejected
        }
    }
}

extension SnapshotRequirement {
    /// A requirement version the requirement service resolved, as the batch keeps it.
    init(_ resolved: Conform_Requirement_V1_ResolvedRequirement) throws {
        self.init(
            customer: resolved.customer,
            id: resolved.requirementID,
            isMandatory: resolved.strength == .mandatory,
            version: resolved.version.number,
            title: resolved.version.title,
            rules: try resolved.version.evidenceRules.enumerated().map { index, rule in
                try EvidenceRule.from(rule, field: "\(resolved.requirementID).evidence_rules[\(index)]")
            }
        )
    }

    var message: Conform_Batch_V1_SnapshotRequirement {
        .with {
            $0.customer = self.customer
            $0.requirementID = self.id
            $0.strength = self.isMandatory ? .mandatory : .preferred
            $0.version = self.version
            $0.title = self.title
            $0.evidenceRules = self.rules.map(\.message)
            $0.source = self.label
        }
    }
}

extension Order {
    func message(createdAtMicros: Int64, createdBy: String) -> Conform_Batch_V1_Order {
        .with {
            $0.reference = self.reference
            $0.customer = self.customer
            $0.product = self.product
            $0.quantity = UInt32(self.quantity)
            $0.createdAtMicros = createdAtMicros
            $0.createdBy = createdBy
        }
    }
}

extension StoredBatch {
    var message: Conform_Batch_V1_Batch {
        .with {
            $0.number = self.batch.number
            $0.product = self.batch.product
            $0.customer = self.batch.customer
            $0.orderReference = self.batch.orderReference
            $0.manufactureDate = self.batch.manufactureDate.description
            $0.quantity = UInt32(self.batch.quantity)
            $0.status = self.batch.status.message
            $0.consolidated = self.batch.consolidated
            $0.requirements = self.batch.requirements.map(\.message)
            $0.fields = self.batch.fields.sorted { $0.key < $1.key }.map { name, value in
                .with {
                    $0.name = name
                    $0.value = value
                    $0.recordedBy = self.fieldProvenance[name]?.by ?? ""
                    $0.recordedAtMicros = self.fieldProvenance[name]?.atMicros ?? 0
                }
            }
            $0.serials = self.batch.serials.map { serial in
                .with {
                    $0.serial = serial.serial
                    $0.qrPayload = serial.qrPayload
                    $0.nfcTag = serial.nfcTag ?? ""
                }
            }
            $0.recordDigest = BatchRules.recordDigest(self.batch)
            $0.legalHold = self.batch.legalHold != nil
            $0.legalHoldReason = self.batch.legalHold ?? ""
            $0.archived = self.batch.archived
            $0.amendments = self.amendments.map { amendment in
                .with {
                    $0.number = UInt64(amendment.number)
                    $0.reason = amendment.reason
                    $0.amendedBy = amendment.amendedBy
                    $0.amendedAtMicros = amendment.amendedAtMicros
                    $0.changes = amendment.changes
                    $0.digestBefore = amendment.digestBefore
                    $0.digestAfter = amendment.digestAfter
                }
            }
            $0.createdAtMicros = self.createdAtMicros
            $0.createdBy = self.createdBy
            $0.completedAtMicros = self.completedAtMicros ?? 0
            $0.completedBy = self.completedBy ?? ""
            $0.releaseSignature = UInt64(self.releaseSignature ?? 0)
            $0.lots = self.batch.lots
        }
    }
}

extension RequirementCompliance {
    var message: Conform_Batch_V1_RequirementCompliance {
        .with {
            $0.customer = self.requirement.customer
            $0.requirementID = self.requirement.id
            $0.version = self.requirement.version
            $0.strength = self.requirement.isMandatory ? .mandatory : .preferred
            $0.state = switch self.state {
            case .satisfied: .satisfied
            case .unsatisfied: .unsatisfied
            case .waived: .waived
            case .notApplicable: .notApplicable
            }
            $0.reasons = self.reasons
            $0.missing = self.missing
            $0.evidence = self.evidence.map(UInt64.init)
            $0.signatures = self.signatures.map(UInt64.init)
            $0.daysOverdue = UInt32(self.daysOverdue)
        }
    }
}

extension EvidenceFact {
    init?(_ item: Conform_Evidence_V1_EvidenceItem) {
        let kind: Kind
        switch item.kind {
        case .document: kind = .document
        case .photo: kind = .photo
        case .unspecified, .UNRECOGNIZED: return nil
        }
        self.init(
            id: Int64(item.id), kind: kind, type: item.type, mediaType: item.mediaType, metadata: item.metadata,
            uploaderCertifications: item.uploaderCertifications
        )
    }
}

extension SignatureFact {
    init?(_ signature: Conform_Evidence_V1_Signature, valid: Bool) {
        let meaning: SignatureMeaning
        switch signature.meaning {
        case .authored: meaning = .authored
        case .reviewed: meaning = .reviewed
        case .approved: meaning = .approved
        case .responsible: meaning = .responsible
        case .amended: meaning = .amended
        case .unspecified, .UNRECOGNIZED: return nil
        }
        self.init(
            id: Int64(signature.id), target: signature.target, meaning: meaning, signer: signature.signer,
            rolesHeld: signature.rolesHeld, certificationsHeld: signature.certificationsHeld, isValid: valid
        )
    }
}

extension LotFact {
    init(_ status: Conform_Supplier_V1_LotStatus) {
        self.init(
            lot: status.receipt.lot,
            supplier: status.receipt.supplier,
            material: status.receipt.material,
            blockedReasons: status.receipt.verdict == .blocked ? status.receipt.reasons : [],
            exceptionApproved: status.receipt.exception == .approved,
            auditDates: status.auditDates.compactMap(Day.init)
        )
    }
}
