import Foundation
public import ConformDomain

/// What a requirement and each of its versions must satisfy before they are stored.
public enum RequirementRules {
    public static let maxIDLength = 64

    /// A new version, checked on its own; every error names the field.
    public static func validateVersion(
        number: String,
        title: String,
        text: String,
        acceptanceCriteria: String,
        sourceKind: SourceKind?,
        sourceReference: String,
        receivedOn: String,
        effectiveFrom: String,
        expiresOn: String,
        requiredCapabilities: [String],
        draft: Bool,
        evidenceRules: [EvidenceRule],
        field prefix: String
    ) throws -> RequirementVersion {
        let effective = try Day.parse(effectiveFrom, field: "\(prefix).effective_from")
        let expires = expiresOn.isEmpty ? nil : try Day.parse(expiresOn, field: "\(prefix).expires_on")
        if let expires, expires < effective {
            throw DomainError.invalid(field: "\(prefix).expires_on", reason: "\(expires) is before effective_from \(effective)")
        }
        guard let sourceKind else {
            throw DomainError.invalid(
                field: "\(prefix).source.kind",
                reason: "is required: one of \(SourceKind.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
        let capabilities = try requiredCapabilities.enumerated().map { index, capability in
            try Self.capability(capability, field: "\(prefix).required_capabilities[\(index)]")
        }
        return RequirementVersion(
            number: try VersionNumber.parse(number, field: "\(prefix).number"),
            title: try FieldRules.text(title, field: "\(prefix).title", maxLength: 300),
            text: try FieldRules.text(text, field: "\(prefix).text", maxLength: 50_000),
            acceptanceCriteria: try FieldRules.optionalText(acceptanceCriteria, field: "\(prefix).acceptance_criteria", maxLength: 20_000),
            source: RequirementSource(
                kind: sourceKind,
                reference: try FieldRules.text(sourceReference, field: "\(prefix).source.reference", maxLength: 1_000),
                receivedOn: try Day.parse(receivedOn, field: "\(prefix).source.received_on")
            ),
            effectiveFrom: effective,
            expiresOn: expires,
            requiredCapabilities: Array(Set(capabilities)).sorted(),
            isDraft: draft,
            evidenceRules: try evidenceRules.enumerated().map { index, rule in
                try EvidenceRuleRules.validate(rule, field: "\(prefix).evidence_rules[\(index)]")
            }
        )
    }

    /// A capability name: lower-case letters, digits and '-', e.g. "nfc-tagging".
    public static func capability(_ value: String, field: String) throws -> String {
        let name = value.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty, name.count <= 64, let first = name.first, first.isLetter,
              name.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") })
        else {
            throw DomainError.invalid(field: field, reason: "'\(value)' is not a capability name; use lower-case letters, digits and '-', e.g. nfc-tagging")
        }
        return name
    }

    /// Whether `new` may be added to `requirement`: it must not be retired, and the new
    /// version must follow the ones it has.
    public static func checkNewVersion(_ new: RequirementVersion, to requirement: Requirement) throws {
        let name = "\(requirement.customer)/\(requirement.id)"
        if let retirement = requirement.retirement {
            throw DomainError.failedPrecondition(
                "\(name) was retired from \(retirement.on) (\(retirement.reason)); a retired requirement takes no new versions. Add the customer's new demand as a new requirement"
            )
        }
        try self.checkNewVersion(new, after: requirement.versions, requirement: name)
    }

    /// The draft version `number` of `requirement`, which may now be published.
    public static func draftToPublish(_ number: VersionNumber, of requirement: Requirement) throws -> RequirementVersion {
        let name = "\(requirement.customer)/\(requirement.id)"
        guard let version = requirement.versions.first(where: { $0.number == number }) else {
            let numbers = requirement.versions.map(\.number.description).joined(separator: ", ")
            throw DomainError.notFound("\(name) has no version \(number); its versions are \(numbers)")
        }
        guard version.isDraft else {
            throw DomainError.failedPrecondition("version \(number) of \(name) is published already; only a draft can be published")
        }
        if let retirement = requirement.retirement {
            throw DomainError.failedPrecondition("\(name) was retired from \(retirement.on); its drafts can no longer be published")
        }
        return version
    }

    /// Whether `requirement` may be retired from `day`, for `reason`.
    public static func retirement(of requirement: Requirement, on day: Day, reason: String) throws -> Retirement {
        let name = "\(requirement.customer)/\(requirement.id)"
        if let retirement = requirement.retirement {
            throw DomainError.failedPrecondition("\(name) is retired already, from \(retirement.on) (\(retirement.reason))")
        }
        if let first = requirement.versions.map(\.effectiveFrom).min(), day < first {
            throw DomainError.invalid(
                field: "retired_on",
                reason: "\(day) is before \(name) first took effect (\(first)); retire it on or after that day"
            )
        }
        return Retirement(on: day, reason: try FieldRules.text(reason, field: "reason", maxLength: 1_000))
    }

    /// Whether `new` may follow the versions a requirement already has.
    public static func checkNewVersion(_ new: RequirementVersion, after existing: [RequirementVersion], requirement: String) throws {
        if let same = existing.first(where: { $0.number == new.number }) {
            throw DomainError.alreadyExists("\(requirement) already has version \(same.number); give the new version a higher number")
        }
        if let latest = existing.max(by: { $0.number < $1.number }) {
            guard latest.number < new.number else {
                throw DomainError.failedPrecondition(
                    "version \(new.number) of \(requirement) must be numbered above its latest version \(latest.number)"
                )
            }
            guard latest.effectiveFrom <= new.effectiveFrom else {
                throw DomainError.failedPrecondition(
                    "version \(new.number) of \(requirement) takes effect on \(new.effectiveFrom), before version \(latest.number) does (\(latest.effectiveFrom)); a new version cannot take effect earlier than the one it supersedes"
                )
            }
        }
    }
}
