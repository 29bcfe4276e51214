public import ConformDomain

/// One requirement version a batch is held to, with the rules that decide it.
public struct ChecklistRequirement: Sendable, Equatable {
    public var customer: String
    public var id: String
    public var version: String
    public var isMandatory: Bool
    public var rules: [EvidenceRule]

    public init(customer: String, id: String, version: String, isMandatory: Bool, rules: [EvidenceRule]) {
        self.customer = customer
        self.id = id
        self.version = version
        self.isMandatory = isMandatory
        self.rules = rules
    }

    /// e.g. "A/CSR-AUTO-0847 v1.0": how items are tagged with it.
    public var label: String { "\(self.customer)/\(self.id) v\(self.version)" }
}

/// What the batch service says a batch needs, as the evidence service checks against it.
public struct Checklist: Sendable, Equatable {
    public var batch: String
    public var customer: String
    /// Open for evidence: not yet released or rejected.
    public var isOpen: Bool
    public var recordDigest: String
    public var manufactureDate: Day
    public var requirements: [ChecklistRequirement]

    public init(batch: String, customer: String, isOpen: Bool, recordDigest: String, manufactureDate: Day, requirements: [ChecklistRequirement]) {
        self.batch = batch
        self.customer = customer
        self.isOpen = isOpen
        self.recordDigest = recordDigest
        self.manufactureDate = manufactureDate
        self.requirements = requirements
    }
}
