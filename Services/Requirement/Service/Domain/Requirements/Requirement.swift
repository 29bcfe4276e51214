public import ConformDomain

/// The kind of demand a requirement makes, as quality engineers file them.
public enum RequirementCategory: String, Sendable, CaseIterable {
    case quality
    case traceability
    case documentation
    case regulatory
    case specialProcessing = "special-processing"
}

/// Whether an unmet requirement blocks release (mandatory) or only warns (preferred).
public enum RequirementStrength: String, Sendable, CaseIterable {
    case mandatory
    case preferred
}

/// Which of the customer's products a requirement applies to.
public enum RequirementScope: Sendable, Equatable {
    case allProducts
    case family(String)
    case products([String])

    /// Why `product` is in scope, or nil when it is not.
    public func match(product: String, family: String) -> String? {
        switch self {
        case .allProducts:
            return "applies to all of the customer's products"
        case .family(let scoped):
            return scoped == family ? "applies to product family \(scoped), which \(product) belongs to" : nil
        case .products(let codes):
            return codes.contains(product) ? "names product \(product)" : nil
        }
    }
}

/// Where a version of a requirement came from.
public enum SourceKind: String, Sendable, CaseIterable {
    case email
    case customerSpecification = "customer-specification"
    case customerPortal = "customer-portal"
    case auditFinding = "audit-finding"
    case meeting
}

public struct RequirementSource: Sendable, Equatable {
    public var kind: SourceKind
    /// e.g. the e-mail's subject and sender, the specification's number and revision.
    public var reference: String
    public var receivedOn: Day

    public init(kind: SourceKind, reference: String, receivedOn: Day) {
        self.kind = kind
        self.reference = reference
        self.receivedOn = receivedOn
    }
}

/// One version of a customer's requirement: what it says and when it holds.
public struct RequirementVersion: Sendable, Equatable {
    public var number: VersionNumber
    public var title: String
    public var text: String
    public var acceptanceCriteria: String
    public var source: RequirementSource
    public var effectiveFrom: Day
    /// The last day a temporary requirement holds.
    public var expiresOn: Day?
    /// Capabilities the supplier must have validated before this version is enforced, e.g. "nfc-tagging".
    public var requiredCapabilities: [String]
    /// A draft is kept but never enforced.
    public var isDraft: Bool
    /// What a machine checks to decide the version is satisfied.
    public var evidenceRules: [EvidenceRule]

    public init(
        number: VersionNumber,
        title: String,
        text: String,
        acceptanceCriteria: String,
        source: RequirementSource,
        effectiveFrom: Day,
        expiresOn: Day? = nil,
        requiredCapabilities: [String] = [],
        isDraft: Bool = false,
        evidenceRules: [EvidenceRule] = []
    ) {
        self.number = number
        self.title = title
        self.text = text
        self.acceptanceCriteria = acceptanceCriteria
        self.source = source
        self.effectiveFrom = effectiveFrom
        self.expiresOn = expiresOn
        self.requiredCapabilities = requiredCapabilities
        self.isDraft = isDraft
        self.evidenceRules = evidenceRules
    }
}

/// A customer's requirement, e.g. CSR-AUTO-0847, with every version it has had.
public struct Requirement: Sendable, Equatable {
    public var customer: String
    /// The customer's own id, unique per customer.
    public var id: String
    public var category: RequirementCategory
    public var strength: RequirementStrength
    public var scope: RequirementScope
    public var versions: [RequirementVersion]
    /// Set when the customer withdrew it: from that day on no version holds.
    public var retirement: Retirement?

    public init(
        customer: String,
        id: String,
        category: RequirementCategory,
        strength: RequirementStrength,
        scope: RequirementScope,
        versions: [RequirementVersion],
        retirement: Retirement? = nil
    ) {
        self.customer = customer
        self.id = id
        self.category = category
        self.strength = strength
        self.scope = scope
        self.versions = versions
        self.retirement = retirement
    }
}

/// A customer's withdrawal of a requirement.
public struct Retirement: Sendable, Equatable {
    /// The first day the requirement no longer holds.
    public var on: Day
    public var reason: String

    public init(on: Day, reason: String) {
        self.on = on
        self.reason = reason
    }
}

/// Quality engineering's record that the supplier can do something a requirement needs.
public struct CapabilityValidation: Sendable, Equatable {
    public var capability: String
    public var validatedOn: Day
    public var validatedBy: String
    public var evidenceReference: String

    public init(capability: String, validatedOn: Day, validatedBy: String, evidenceReference: String) {
        self.capability = capability
        self.validatedOn = validatedOn
        self.validatedBy = validatedBy
        self.evidenceReference = evidenceReference
    }
}
