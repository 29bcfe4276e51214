import ConformDomain
import ConformProtos

// Requirements between their domain values and wire messages.

extension RequirementCategory {
    init?(_ message: Conform_Requirement_V1_RequirementCategory) {
        switch message {
        case .quality: self = .quality
        case .traceability: self = .traceability
        case .documentation: self = .documentation
        case .regulatory: self = .regulatory
        case .specialProcessing: self = .specialProcessing
        case .unspecified, .UNRECOGNIZED: return nil
        }
    }

    var message: Conform_Requirement_V1_RequirementCategory {
        switch self {
        case .quality: return .quality
        case .traceability: return .traceability
        case .documentation: return .documentation
        case .regulatory: return .regulatory
        case .specialProcessing: return .specialProcessing
        }
    }
}

extension RequirementStrength {
    init?(_ message: Conform_Requirement_V1_RequirementStrength) {
        switch message {
        case .mandatory: self = .mandatory
        case .preferred: self = .preferred
        case .unspecified, .UNRECOGNIZED: return nil
        }
    }

    var message: Conform_Requirement_V1_RequirementStrength {
        self == .mandatory ? .mandatory : .preferred
    }
}

extension SourceKind {
    init?(_ message: Conform_Requirement_V1_SourceKind) {
        switch message {
        case .email: self = .email
        case .customerSpecification: self = .customerSpecification
        case .customerPortal: self = .customerPortal
        case .auditFinding: self = .auditFinding
        case .meeting: self = .meeting
        case .unspecified, .UNRECOGNIZED: return nil
        }
    }

    var message: Conform_Requirement_V1_SourceKind {
        switch self {
        case .email: return .email
        case .customerSpecification: return .customerSpecification
        case .customerPortal: return .customerPortal
        case .auditFinding: return .auditFinding
        case .meeting: return .meeting
        }
    }
}

extension RequirementScope {
    /// Checks the scope a client sent; nil `applies_to` is refused by name.
    static func validate(_ message: Conform_Requirement_V1_RequirementScope?) throws -> RequirementScope {
        switch message?.appliesTo {
        case .allProducts(true)?:
            return .allProducts
        case .family(let family)?:
            return .family(try FieldRules.code(family, field: "scope.family", maxLength: ProductRules.maxCodeLength))
        case .products(let list)?:
            guard !list.codes.isEmpty else {
                throw DomainError.invalid(field: "scope.products", reason: "names no product; list at least one, or use all_products or family")
            }
            return .products(try list.codes.enumerated().map { index, code in
                try FieldRules.code(code, field: "scope.products[\(index)]", maxLength: ProductRules.maxCodeLength)
            }.sorted())
        case .allProducts(false)?, nil:
            throw DomainError.invalid(field: "scope", reason: "is required: all_products, a family, or a list of products")
        }
    }

    var message: Conform_Requirement_V1_RequirementScope {
        switch self {
        case .allProducts: return .with { $0.allProducts = true }
        case .family(let family): return .with { $0.family = family }
        case .products(let codes): return .with { $0.products = .with { $0.codes = codes } }
        }
    }
}

extension RequirementVersion {
    /// Checks a version a client sent, naming fields under `prefix` (e.g. "first_version").
    static func validate(_ message: Conform_Requirement_V1_RequirementVersion, field prefix: String) throws -> RequirementVersion {
        try RequirementRules.validateVersion(
            number: message.number,
            title: message.title,
            text: message.text,
            acceptanceCriteria: message.acceptanceCriteria,
            sourceKind: SourceKind(message.source.kind),
            sourceReference: message.source.reference,
            receivedOn: message.source.receivedOn,
            effectiveFrom: message.effectiveFrom,
            expiresOn: message.expiresOn,
            requiredCapabilities: message.requiredCapabilities,
            draft: message.draft,
            evidenceRules: try message.evidenceRules.enumerated().map { index, rule in
                try EvidenceRule.from(rule, field: "\(prefix).evidence_rules[\(index)]")
            },
            field: prefix
        )
    }

    func message(status: VersionStatus?) -> Conform_Requirement_V1_RequirementVersion {
        .with {
            $0.number = self.number.description
            $0.title = self.title
            $0.text = self.text
            $0.acceptanceCriteria = self.acceptanceCriteria
            $0.source = .with {
                $0.kind = self.source.kind.message
                $0.reference = self.source.reference
                $0.receivedOn = self.source.receivedOn.description
            }
            $0.effectiveFrom = self.effectiveFrom.description
            $0.expiresOn = self.expiresOn?.description ?? ""
            $0.requiredCapabilities = self.requiredCapabilities
            $0.draft = self.isDraft
            $0.status = status?.label ?? ""
            $0.evidenceRules = self.evidenceRules.map(\.message)
        }
    }
}

extension VersionStatus {
    /// In words, as people read it in a table.
    var label: String {
        switch self {
        case .draft: return "draft"
        case .awaitingValidation(let missing): return "awaiting validation of \(missing.joined(separator: ", "))"
        case .notYetEffective: return "not yet effective"
        case .active: return "active"
        case .superseded(let by): return "superseded by \(by)"
        case .expired: return "expired"
        case .retired: return "retired"
        }
    }
}

extension Requirement {
    func message(on day: Day, validations: [CapabilityValidation]) -> Conform_Requirement_V1_Requirement {
        let statuses = RequirementResolution.statuses(of: self, on: day, validations: validations)
        return .with {
            $0.customer = self.customer
            $0.requirementID = self.id
            $0.category = self.category.message
            $0.strength = self.strength.message
            $0.scope = self.scope.message
            $0.versions = statuses.map { version, status in version.message(status: status) }
            $0.retiredOn = self.retirement?.on.description ?? ""
            $0.retirementReason = self.retirement?.reason ?? ""
        }
    }
}

extension ResolvedRequirement {
    var message: Conform_Requirement_V1_ResolvedRequirement {
        .with {
            $0.customer = self.requirement.customer
            $0.requirementID = self.requirement.id
            $0.category = self.requirement.category.message
            $0.strength = self.requirement.strength.message
            $0.version = self.version.message(status: .active)
            $0.scopeMatch = self.scopeMatch
            $0.reasons = self.reasons
        }
    }
}
