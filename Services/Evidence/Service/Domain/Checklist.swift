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
    /// For a completed record that was amended, the digests it had before each amendment: a
    /// signature made on one stays valid for that revision.
    public var earlierDigests: [String]

    public init(
        batch: String, customer: String, isOpen: Bool, recordDigest: String, manufactureDate: Day, requirements: [ChecklistRequirement],
        earlierDigests: [String] = []
    ) {
        self.batch = batch
        self.customer = customer
        self.isOpen = isOpen
        self.recordDigest = recordDigest
        self.manufactureDate = manufactureDate
        self.requirements = requirements
        self.earlierDigests = earlierDigests
    }

    /// A completed record amended since: it takes the quality manager's `amended` signature,
    /// and again the signatures its rules reserve.
    public var isAmended: Bool { !self.isOpen && !self.earlierDigests.isEmpty }

    /// Which revision a digest of this record was, when it was an earlier one.
    public func revision(of digest: String) -> String? {
        RecordRevisions.describe(digest, earlier: self.earlierDigests)
    }
}

/// The revisions of an amended record, in words.
public enum RecordRevisions {
    /// Which revision `digest` was among `earlier` (as completed, then after each amendment but
    /// the latest), e.g. "made on the record as completed; amended since".
    public static func describe(_ digest: String, earlier: [String]) -> String? {
        guard let index = earlier.lastIndex(of: digest) else { return nil }
        let revision = index == 0 ? "the record as completed" : "the record as amended by amendment \(index)"
        return "made on \(revision); amended since (amendment \(index + 1))"
    }
}
