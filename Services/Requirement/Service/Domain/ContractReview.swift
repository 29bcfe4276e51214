import ConformDomain

/// The reviewer's answer for one requirement of a contract.
public enum ReviewDecision: String, Sendable, CaseIterable {
    case pending
    case canMeet = "can-meet"
    case cannotMeet = "cannot-meet"
    case deviationAgreed = "deviation-agreed"
}

/// One line of a contract review: a documented requirement version, or one the customer
/// stated without documenting it (`requirementID` empty).
public struct ContractReviewItem: Sendable, Equatable {
    public var position: Int
    public var requirementID: String
    public var version: String
    public var strength: RequirementStrength
    public var statement: String
    public var decision: ReviewDecision
    public var note: String

    public init(position: Int, requirementID: String, version: String, strength: RequirementStrength, statement: String, decision: ReviewDecision, note: String) {
        self.position = position
        self.requirementID = requirementID
        self.version = version
        self.strength = strength
        self.statement = statement
        self.decision = decision
        self.note = note
    }
}

/// The rules of a contract review (ISO 9001 8.2.3): before accepting an order the supplier
/// confirms it can meet every requirement, documented or not.
public enum ContractReviewRules {
    /// The items to review: every requirement version in force for any of the contract's
    /// products, once each, in requirement order.
    public static func items(from resolved: [ResolvedRequirement]) -> [ContractReviewItem] {
        var seen = Set<String>()
        var items: [ContractReviewItem] = []
        for requirement in resolved.sorted(by: { $0.requirement.id < $1.requirement.id }) {
            guard seen.insert(requirement.requirement.id).inserted else { continue }
            items.append(
                ContractReviewItem(
                    position: items.count + 1,
                    requirementID: requirement.requirement.id,
                    version: requirement.version.number.description,
                    strength: requirement.requirement.strength,
                    statement: requirement.version.title,
                    decision: .pending,
                    note: ""
                )
            )
        }
        return items
    }

    /// Whether the review may be accepted; says what stands in the way when it may not.
    /// A requirement the customer stated counts as mandatory.
    public static func checkAcceptable(_ items: [ContractReviewItem]) throws {
        let pending = items.filter { $0.decision == .pending }
        if !pending.isEmpty {
            throw DomainError.failedPrecondition(
                "the review cannot be accepted while items are undecided: " + pending.map(Self.describe).joined(separator: "; ")
            )
        }
        let unmet = items.filter { $0.decision == .cannotMeet && ($0.strength == .mandatory || $0.requirementID.isEmpty) }
        if !unmet.isEmpty {
            throw DomainError.failedPrecondition(
                "the review cannot be accepted: mandatory requirements cannot be met: " + unmet.map(Self.describe).joined(separator: "; ")
                    + ". Agree a deviation with the customer, or decline the order"
            )
        }
    }

    /// A deviation is only as good as its record.
    public static func checkDecision(_ decision: ReviewDecision, note: String) throws {
        if decision == .deviationAgreed && note.trimmingCharacters(in: .whitespaces).isEmpty {
            throw DomainError.invalid(field: "note", reason: "is required for an agreed deviation: say what was agreed, with whom, and where it is recorded")
        }
        if decision == .pending {
            throw DomainError.invalid(field: "decision", reason: "must be can-meet, cannot-meet or deviation-agreed")
        }
    }

    private static func describe(_ item: ContractReviewItem) -> String {
        item.requirementID.isEmpty ? "#\(item.position) stated: \(item.statement)" : "#\(item.position) \(item.requirementID) v\(item.version)"
    }
}

import Foundation
