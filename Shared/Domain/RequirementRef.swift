/// One customer's requirement: the key wherever requirements of several customers meet (a
/// consolidated batch carries them all), because two customers may use the same id.
public struct RequirementRef: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var customer: String
    /// The customer's own id for it, e.g. "CSR-AUTO-0847".
    public var id: String

    public init(customer: String, id: String) {
        self.customer = customer
        self.id = id
    }

    /// The requirement `reference` names: "A/CSR-A-0201" or, with its version,
    /// "A/CSR-A-0201 v1.0". Codes hold no "/" or space, so the split is unambiguous.
    public init?(reference: String) {
        let withoutVersion = reference.split(separator: " ", maxSplits: 1).first.map(String.init) ?? reference
        let parts = withoutVersion.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
        self.init(customer: String(parts[0]), id: String(parts[1]))
    }

    /// "A/CSR-A-0201".
    public var description: String { "\(self.customer)/\(self.id)" }

    public static func < (lhs: RequirementRef, rhs: RequirementRef) -> Bool {
        (lhs.customer, lhs.id) < (rhs.customer, rhs.id)
    }
}
