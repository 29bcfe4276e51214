public import ConformDomain

/// One requirement of one active batch, as the read model holds it.
public struct ComplianceRow: Sendable, Equatable {
    public var batch: String
    public var requirement: RequirementState

    public init(batch: String, requirement: RequirementState) {
        self.batch = batch
        self.requirement = requirement
    }
}

/// Compliance at a glance.
public struct DashboardView: Sendable, Equatable {
    public struct Tally: Sendable, Equatable {
        public var customer: String
        public var requirementID: String
        public var isMandatory: Bool
        public var compliant = 0
        public var nonCompliant = 0
        public var waived = 0
    }

    public struct Miss: Sendable, Equatable {
        public var batch: BatchSummary
        public var requirement: RequirementState
        public var daysOverdue: Int
    }

    public var activeBatches: Int
    public var tallies: [Tally]
    /// "green", "amber" or "red".
    public var status: String
    public var reason: String
    public var misses: [Miss]
    /// Active batches not yet evaluated.
    public var pending: Int
}

/// The rules of the dashboard, readable without SQL.
public enum DashboardRules {
    /// Red when an active batch misses a mandatory requirement; amber when one misses only
    /// preferred requirements, or has not been evaluated yet; green otherwise.
    public static func build(active: [BatchSummary], rows: [ComplianceRow], today: Day) -> DashboardView {
        let byBatch = Dictionary(grouping: rows, by: \.batch)
        var tallies: [RequirementRef: DashboardView.Tally] = [:]
        var misses: [DashboardView.Miss] = []
        var pending = 0
        for batch in active {
            guard batch.isEvaluated else {
                pending += 1
                continue
            }
            for row in byBatch[batch.number] ?? [] {
                let key = row.requirement.requirement
                var tally = tallies[key] ?? DashboardView.Tally(
                    customer: row.requirement.customer, requirementID: row.requirement.requirementID, isMandatory: row.requirement.isMandatory
                )
                switch row.requirement.state {
                case "unsatisfied":
                    tally.nonCompliant += 1
                    misses.append(DashboardView.Miss(batch: batch, requirement: row.requirement, daysOverdue: max(0, batch.manufactureDate.days(until: today))))
                case "waived":
                    tally.waived += 1
                default:
                    tally.compliant += 1
                }
                tallies[key] = tally
            }
        }
        let redBatches = Set(misses.filter(\.requirement.isMandatory).map(\.batch.number))
        let amberBatches = Set(misses.map(\.batch.number)).subtracting(redBatches)
        let status: String
        let reason: String
        if !redBatches.isEmpty {
            status = "red"
            reason = "\(redBatches.count) active batch(es) miss a mandatory requirement"
        } else if !amberBatches.isEmpty || pending > 0 {
            status = "amber"
            reason = [
                amberBatches.isEmpty ? nil : "\(amberBatches.count) active batch(es) miss a preferred requirement",
                pending == 0 ? nil : "\(pending) active batch(es) not evaluated yet",
            ].compactMap { $0 }.joined(separator: "; ")
        } else {
            status = "green"
            reason = "every active batch meets every requirement it carries"
        }
        return DashboardView(
            activeBatches: active.count,
            tallies: tallies.values.sorted { ($0.customer, $0.requirementID) < ($1.customer, $1.requirementID) },
            status: status,
            reason: reason,
            misses: misses.sorted { ($0.daysOverdue, $0.batch.number) > ($1.daysOverdue, $1.batch.number) },
            pending: pending
        )
    }
}
