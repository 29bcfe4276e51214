import ConformDomain
import ConformProtos
import ConformService
import Foundation

// Evidence domain values to and from their wire messages.

extension EvidenceKind {
    init?(_ message: Conform_Evidence_V1_EvidenceKind) {
        switch message {
        case .document: self = .document
        case .photo: self = .photo
        case .unspecified, .UNRECOGNIZED: return nil
        }
    }

    var message: Conform_Evidence_V1_EvidenceKind {
        switch self {
        case .document: return .document
        case .photo: return .photo
        }
    }
}

extension SignatureMeaning {
    var message: Conform_Evidence_V1_SignatureMeaning {
        switch self {
        case .authored: return .authored
        case .reviewed: return .reviewed
        case .approved: return .approved
        case .responsible: return .responsible
        case .amended: return .amended
        }
    }
}

extension EvidenceItem {
    var message: Conform_Evidence_V1_EvidenceItem {
        .with {
            $0.id = UInt64(self.id)
            $0.batch = self.description.batch
            $0.kind = self.description.kind.message
            $0.type = self.description.type
            $0.mediaType = self.description.mediaType
            $0.fileName = self.description.fileName
            $0.sha256 = self.sha256
            $0.size = UInt64(self.size)
            $0.metadata = self.description.metadata
            $0.satisfies = self.satisfies
            $0.concerns = self.concerns
            $0.uploadedBy = self.uploadedBy
            $0.uploadedAtMicros = self.uploadedAtMicros
            $0.uploaderCertifications = self.uploaderCertifications
            $0.supersedes = UInt64(self.description.supersedes ?? 0)
            $0.supersededBy = UInt64(self.supersededBy ?? 0)
            $0.correctionReason = self.description.correctionReason
        }
    }
}

extension Qualification.Kind {
    init?(_ message: Conform_Evidence_V1_Qualification.Kind) {
        switch message {
        case .role: self = .role
        case .certification: self = .certification
        case .unspecified, .UNRECOGNIZED: return nil
        }
    }
}

extension Signatory {
    var message: Conform_Evidence_V1_Signatory {
        .with {
            $0.principal = self.principal
            $0.printedName = self.printedName
            $0.publicKeyPem = self.publicKeyPEM
            $0.keyFingerprint = self.keyFingerprint
            $0.qualifications = self.qualifications.map { qualification in
                .with {
                    $0.kind = qualification.kind == .role ? .role : .certification
                    $0.name = qualification.name
                    $0.validFrom = qualification.validFrom.description
                    $0.validTo = qualification.validTo?.description ?? ""
                    $0.reference = qualification.reference
                    $0.grantedBy = qualification.grantedBy
                }
            }
        }
    }
}

extension SignatureRecord {
    var message: Conform_Evidence_V1_Signature {
        .with {
            $0.id = UInt64(self.id)
            $0.target = self.target
            $0.digest = self.manifest.digest
            $0.meaning = self.manifest.meaning.message
            $0.signer = self.manifest.signer
            $0.printedName = self.manifest.printedName
            $0.signedAtMicros = self.manifest.signedAtMicros
            $0.rolesHeld = self.rolesHeld
            $0.certificationsHeld = self.certificationsHeld
            $0.manifest = self.manifest.text
            $0.signature = self.signature
            $0.keyFingerprint = self.keyFingerprint
        }
    }
}

extension Checklist {
    /// The checklist the batch service sent; its rules were validated when they were stored.
    init(_ message: Conform_Batch_V1_BatchChecklist) throws {
        guard let day = Day(message.manufactureDate) else {
            throw DomainError.failedPrecondition("batch \(message.batch) has no readable manufacture date")
        }
        self.init(
            batch: message.batch,
            customer: message.customer,
            isOpen: message.status == .open,
            recordDigest: message.recordDigest,
            manufactureDate: day,
            requirements: try message.requirements.map { requirement in
                ChecklistRequirement(
                    customer: requirement.customer,
                    id: requirement.requirementID,
                    version: requirement.version,
                    isMandatory: requirement.strength == .mandatory,
                    rules: try requirement.evidenceRules.enumerated().map { index, rule in
                        try EvidenceRule.from(rule, field: "\(requirement.requirementID).evidence_rules[\(index)]")
                    }
                )
            },
            earlierDigests: message.earlierDigests
        )
    }
}
