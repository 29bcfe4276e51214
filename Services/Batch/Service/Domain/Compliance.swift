public import ConformDomain

/// Where one requirement of a batch stands, and why.
public struct RequirementCompliance: Sendable, Equatable {
    public enum State: String, Sendable, Equatable {
        case satisfied, unsatisfied, waived
        case notApplicable = "not applicable"
    }

    public var requirement: SnapshotRequirement
    public var state: State
    public var reasons: [String]
    public var missing: [String]
    public var evidence: [Int64]
    public var signatures: [Int64]
    public var daysOverdue: Int
}

/// The rules that decide whether a batch meets each requirement it carries.
public enum Compliance {
    /// Every requirement of `batch`, evaluated against its evidence on `today`.
    public static func evaluate(
        _ batch: Batch, items: [EvidenceFact], signatures: [SignatureFact], lots: [LotFact] = [], waivers: [Waiver], today: Day
    ) -> [RequirementCompliance] {
        let overdue = max(0, batch.manufactureDate.days(until: today))
        return batch.requirements.map { requirement in
            if let waiver = waivers.first(where: { $0.customer == requirement.customer && $0.requirementID == requirement.id }) {
                return RequirementCompliance(
                    requirement: requirement, state: .waived,
                    reasons: ["waived by \(waiver.waivedBy): \(waiver.reason) (customer approval \(waiver.approvalReference))"],
                    missing: [], evidence: [], signatures: [], daysOverdue: 0
                )
            }
            var outcome = RequirementCompliance(requirement: requirement, state: .satisfied, reasons: [], missing: [], evidence: [], signatures: [], daysOverdue: 0)
            var checked = 0
            for rule in requirement.rules {
                guard let result = RuleEvaluator.check(rule, record: batch.facts, items: items, signatures: signatures, lots: lots) else { continue }
                checked += 1
                outcome.reasons += result.reasons
                outcome.missing += result.missing
                outcome.evidence += result.evidence
                outcome.signatures += result.signatures
            }
            if checked == 0 {
                outcome.state = .notApplicable
                outcome.reasons = requirement.rules.isEmpty
                    ? ["it has no machine-checkable evidence rules"]
                    : ["its rules are not checked per batch (a periodic export is delivered by the reporting service)"]
            } else if !outcome.missing.isEmpty {
                outcome.state = .unsatisfied
                outcome.daysOverdue = overdue
            }
            return outcome
        }
    }

    /// Lots that block release whatever the requirements say: blocked at receipt without an
    /// approved exception, each named with its supplier and why.
    public static func blockedLots(_ lots: [LotFact]) -> [String] {
        lots.filter(\.isBlocked).map { lot in
            "lot \(lot.lot) from supplier \(lot.supplier) was blocked at receipt (\(lot.blockedReasons.joined(separator: "; "))) and has no approved exception"
        }
    }

    /// Mandatory requirements that block release.
    public static func blocking(_ results: [RequirementCompliance]) -> [RequirementCompliance] {
        results.filter { $0.state == .unsatisfied && $0.requirement.isMandatory }
    }

    /// Unmet preferred requirements: they only warn.
    public static func warnings(_ results: [RequirementCompliance]) -> [String] {
        results.filter { $0.state == .unsatisfied && !$0.requirement.isMandatory }.map { result in
            "\(result.requirement.label) (preferred) is not satisfied: \(result.missing.joined(separator: "; "))"
        }
    }

    /// The refusal of a release, in words: each unmet requirement with what is missing and
    /// days overdue, and each blocked lot.
    public static func refusal(batch: String, blocking: [RequirementCompliance], blockedLots: [String] = []) -> String {
        var lines = blocking.map { result in
            "\(result.requirement.label) \"\(result.requirement.title)\": missing \(result.missing.joined(separator: "; ")); \(result.daysOverdue) day(s) overdue"
        }
        lines += blockedLots
        var causes: [String] = []
        if !blocking.isEmpty { causes.append("\(blocking.count) mandatory requirement(s) unmet") }
        if !blockedLots.isEmpty { causes.append("\(blockedLots.count) blocked lot(s)") }
        return "batch \(batch) cannot be released: \(causes.joined(separator: " and ")):\n  " + lines.joined(separator: "\n  ")
    }
}
