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

    /// Refuses an item its batch cannot take: the batch is complete, or a rule of the batch
    /// for this kind of document does not accept its media type or needs metadata it lacks.
    public static func check(_ item: ItemDescription, against checklist: Checklist) throws {
        guard checklist.isOpen else {
            throw DomainError.failedPrecondition(
                "batch \(checklist.batch) is complete and its record is read-only; correct it through an amendment ('conform batch amend')"
            )
        }
        guard item.kind == .document else { return }
        for requirement in checklist.requirements {
            for case .document(let type, let mediaTypes, let fields, _) in requirement.rules where type == item.type {
                if !mediaTypes.contains(item.mediaType) {
                    throw DomainError.invalid(
                        field: "media_type",
                        reason: "is \(item.mediaType), but \(requirement.label) accepts a \(type) only as \(mediaTypes.joined(separator: " or "))"
                    )
                }
                let missing = fields.filter { (item.metadata[$0] ?? "").isEmpty }
                if !missing.isEmpty {
                    throw DomainError.invalid(
                        field: "metadata.\(missing[0])",
                        reason: "is required: \(requirement.label) needs a \(type) with \(missing.joined(separator: ", ")); add it as --field \(missing[0])=VALUE"
                    )
                }
            }
        }
    }

    /// The requirement versions of `checklist` that an item counts towards.
    public static func satisfies(_ item: ItemDescription, in checklist: Checklist) -> [String] {
        checklist.requirements.filter { requirement in
            requirement.rules.contains { rule in
                switch (rule, item.kind) {
                case (.document(let type, let mediaTypes, _, _), .document):
                    return type == item.type && mediaTypes.contains(item.mediaType)
                case (.photos(let kind, _, _), .photo):
                    return kind == item.type
                default:
                    return false
                }
            }
        }
        .map(\.label)
    }
}
