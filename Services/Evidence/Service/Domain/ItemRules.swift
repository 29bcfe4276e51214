import ConformDomain

/// The rules an item of evidence must meet to join a batch, and what it then satisfies.
public enum ItemRules {
    public static let maxMetadataFields = 50
    public static let maxValueLength = 2_000

    /// The uploader's description, checked on its own; every error names its field.
    public static func validate(
        batch: String, kind: EvidenceKind?, type: String, mediaType: String, fileName: String,
        metadata: [String: String], supersedes: Int64?, correctionReason: String
    ) throws -> ItemDescription {
        guard let kind else {
            throw DomainError.invalid(field: "kind", reason: "is required: document or photo")
        }
        guard metadata.count <= Self.maxMetadataFields else {
            throw DomainError.invalid(field: "metadata", reason: "has \(metadata.count) fields; at most \(Self.maxMetadataFields) are allowed")
        }
        var checked: [String: String] = [:]
        for (key, value) in metadata {
            let name = try EvidenceRuleRules.name(key, field: "metadata")
            checked[name] = try FieldRules.text(value, field: "metadata.\(name)", maxLength: Self.maxValueLength)
        }
        let reason = try FieldRules.optionalText(correctionReason, field: "correction_reason", maxLength: 2_000)
        if supersedes != nil, reason.isEmpty {
            throw DomainError.invalid(field: "correction_reason", reason: "is required when an item corrects another: say what was wrong")
        }
        return ItemDescription(
            batch: try FieldRules.code(batch, field: "batch", maxLength: 64),
            kind: kind,
            type: try EvidenceRuleRules.name(type, field: "type"),
            mediaType: try MediaTypes.checkSupported(mediaType),
            fileName: try FieldRules.optionalText(fileName, field: "file_name", maxLength: 255),
            metadata: checked,
            supersedes: supersedes,
            correctionReason: reason
        )
    }

    /// Refuses an item its batch cannot take: the batch is complete, a rule of the batch's own
    /// customer for this kind of document refuses it (its media type, a field it lacks), or
    /// every rule for it refuses it. Another customer's rule on a consolidated batch refuses
    /// nothing by itself: what one customer does not accept may be what another wants.
    public static func check(_ item: ItemDescription, against checklist: Checklist) throws {
        guard checklist.isOpen else {
            throw DomainError.failedPrecondition("batch \(checklist.batch) is complete and its record is read-only; a correction goes through an amendment (Amend)")
        }
        let fact = item.fact(uploaderCertifications: [])
        var refusals: [DomainError] = []
        var taken = false
        for requirement in checklist.requirements {
            for rule in requirement.rules {
                guard case .document(let type, _, _, _) = rule, item.kind == .document, type == item.type else { continue }
                if let refusal = RuleEvaluator.refusal(of: fact, by: rule, label: requirement.label) {
                    if requirement.customer == checklist.customer { throw refusal }
                    refusals.append(refusal)
                } else {
                    taken = true
                }
            }
        }
        if !taken, let first = refusals.first { throw first }
    }

    /// The requirement versions of `checklist` this item satisfies by itself as uploaded: each
    /// rule about such items meets it (`RuleEvaluator.meets`). A rule that also needs a
    /// signature on the item is not met until it is signed, which the batch's compliance says.
    public static func satisfies(_ item: ItemDescription, uploaderCertifications: [String], in checklist: Checklist) -> [String] {
        let fact = item.fact(uploaderCertifications: uploaderCertifications)
        return checklist.requirements.filter { requirement in
            let verdicts = requirement.rules.compactMap { RuleEvaluator.meetsAlone(fact, $0, signatures: []) }
            return !verdicts.isEmpty && verdicts.allSatisfy { $0 }
        }
        .map(\.label)
    }
}

extension ItemRules {
    /// The requirement versions of `checklist` whose rules are about this kind of item.
    public static func concerns(_ item: ItemDescription, in checklist: Checklist) -> [String] {
        let fact = item.fact(uploaderCertifications: [])
        return checklist.requirements.filter { requirement in
            requirement.rules.contains { RuleEvaluator.meets(fact, $0, signatures: []) != nil }
        }
        .map(\.label)
    }
}

extension ItemDescription {
    /// As the evidence rules see it, before it has an id or signatures.
    func fact(uploaderCertifications: [String]) -> EvidenceFact {
        EvidenceFact(
            id: 0, kind: self.kind == .document ? .document : .photo, type: self.type, mediaType: self.mediaType, metadata: self.metadata,
            uploaderCertifications: uploaderCertifications
        )
    }

}
