public import ConformDomain

/// The rules of audit evidence reports, readable without SQL.
public enum AuditReportRules {
    /// The longest period one report covers.
    public static let longestPeriodDays = 5 * 366

    /// The period asked for: `from`…`to` when given, else the `days` (default 90) ending today.
    public static func period(from: String, to: String, days: Int, today: Day) throws -> (from: Day, to: Day) {
        let end = to.isEmpty ? today : try Day.parse(to, field: "to")
        let start: Day
        if from.isEmpty {
            let length = days == 0 ? 90 : days
            guard (1...Self.longestPeriodDays).contains(length) else {
                throw DomainError.invalid(field: "days", reason: "\(length) is not 1 to \(Self.longestPeriodDays) days")
            }
            start = end.adding(days: -(length - 1))
        } else {
            start = try Day.parse(from, field: "from")
        }
        guard start <= end else {
            throw DomainError.invalid(field: "from", reason: "\(start) is after to (\(end)); the period runs from an earlier day to a later one")
        }
        guard start.days(until: end) < Self.longestPeriodDays else {
            throw DomainError.invalid(field: "from", reason: "the period \(start)…\(end) is longer than \(Self.longestPeriodDays) days; ask for shorter periods")
        }
        return (start, end)
    }

    /// How a batch stood on the requirements asked about (every one it carries when `asked`
    /// is empty). Waived counts as met, with the waiver on record.
    public static func outcome(of states: [RequirementState], evaluated: Bool, asking asked: Set<RequirementRef>) -> (BatchOutcome, reasons: [String]) {
        guard evaluated else { return (.pending, ["compliance not evaluated yet"]) }
        let relevant = asked.isEmpty ? states : states.filter { asked.contains($0.requirement) }
        let unmet = relevant.filter { $0.state == "unsatisfied" }.sorted { $0.requirementID < $1.requirementID }
        guard !unmet.isEmpty else { return (.compliant, []) }
        return (.nonCompliant, unmet.map { state in
            state.missing.isEmpty ? "\(state.requirementID): not satisfied" : "\(state.requirementID): missing \(state.missing.joined(separator: ", "))"
        })
    }

    /// One amendment of a completed record, in words, with its approval or that it awaits one.
    public static func amendmentLine(number: Int, reason: String, amendedBy: String, approvedBy: String, signature: Int64) -> String {
        let approval = signature > 0
            ? "approved by \(approvedBy) (signature \(signature))"
            : "awaiting the quality manager's signature of the amended record"
        return "amendment \(number) by \(amendedBy): \(reason); \(approval)"
    }

    /// Per week of the period (by manufacture date), how many batches were made and how many
    /// of them were compliant.
    public static func overTime(_ batches: [ReportedBatch], from: Day, to: Day) -> [CompliancePoint] {
        var points: [Day: CompliancePoint] = [:]
        var week = from.mondayOfWeek
        while week <= to {
            points[week] = CompliancePoint(weekStarting: week, batches: 0, compliant: 0)
            week = week.adding(days: 7)
        }
        for batch in batches {
            let key = batch.manufactureDate.mondayOfWeek
            guard var point = points[key] else { continue }
            point.batches += 1
            if batch.outcome == .compliant { point.compliant += 1 }
            points[key] = point
        }
        return points.values.sorted { $0.weekStarting < $1.weekStarting }
    }

    /// `size` of the `current` items' ids (those not superseded), drawn with `seed`: the same
    /// seed on the same archive draws the same items, so an auditor can ask for the sample again.
    public static func sample(current: [Int64], size: Int, seed: UInt64) -> [Int64] {
        var candidates = current.sorted()
        guard candidates.count > size else { return candidates }
        var generator = SplitMix64(seed: seed)
        for index in 0..<size {
            let pick = index + Int(generator.next() % UInt64(candidates.count - index))
            candidates.swapAt(index, pick)
        }
        return candidates[0..<size].sorted()
    }
}

/// A small, fully specified generator (Steele, Lea and Flood's SplitMix64), so a seed draws the
/// same sample on every platform and Swift version; the standard library's generator is
/// neither seedable nor specified.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) {
        self.state = seed
    }

    public mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
