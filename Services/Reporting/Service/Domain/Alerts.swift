public import ConformDomain

/// What an alert is about.
public enum AlertKind: String, Sendable, CaseIterable {
    case batchNonCompliant = "batch-non-compliant"
    case supplierAuditDue = "supplier-audit-due"
    case supplierApprovalExpired = "supplier-approval-expired"
}

/// Who an alert is addressed to.
public enum AlertLevel: String, Sendable {
    case qualityTeam = "quality-team"
    case management
}

/// The problem an alert is about; one alert is open per problem at a time.
public struct AlertKey: Sendable, Hashable {
    public var kind: AlertKind
    /// The batch number or the supplier code.
    public var subject: String
    /// The unsatisfied requirement of a batch, with its customer: a consolidated batch may
    /// miss two customers' requirements of the same id (nil for supplier alerts).
    public var requirement: RequirementRef?

    public init(kind: AlertKind, subject: String, requirement: RequirementRef? = nil) {
        self.kind = kind
        self.subject = subject
        self.requirement = requirement
    }

    /// The requirement's id ("" for supplier alerts).
    public var requirementID: String { self.requirement?.id ?? "" }
}

/// An alert that should be open, as the rules decide it.
public struct AlertDraft: Sendable, Equatable {
    public var key: AlertKey
    public var isMandatory: Bool
    /// What is missing or due, in words.
    public var detail: String
    public var dueOn: Day

    public init(key: AlertKey, isMandatory: Bool, detail: String, dueOn: Day) {
        self.key = key
        self.isMandatory = isMandatory
        self.detail = detail
        self.dueOn = dueOn
    }

    /// The customer whose requirement is missed ("" for supplier alerts).
    public var customer: String { self.key.requirement?.customer ?? "" }
}

/// An alert as stored.
public struct Alert: Sendable, Equatable {
    public var id: Int64
    public var draft: AlertDraft
    public var level: AlertLevel
    public var raisedAtMicros: Int64
    public var escalatedAtMicros: Int64
    public var acknowledgedBy: String
    public var acknowledgedAtMicros: Int64
    public var acknowledgementNote: String
    public var resolvedAtMicros: Int64
    public var resolution: String
    public var revision: Int64

    public init(
        id: Int64, draft: AlertDraft, level: AlertLevel, raisedAtMicros: Int64, escalatedAtMicros: Int64, acknowledgedBy: String,
        acknowledgedAtMicros: Int64, acknowledgementNote: String, resolvedAtMicros: Int64, resolution: String, revision: Int64
    ) {
        self.id = id
        self.draft = draft
        self.level = level
        self.raisedAtMicros = raisedAtMicros
        self.escalatedAtMicros = escalatedAtMicros
        self.acknowledgedBy = acknowledgedBy
        self.acknowledgedAtMicros = acknowledgedAtMicros
        self.acknowledgementNote = acknowledgementNote
        self.resolvedAtMicros = resolvedAtMicros
        self.resolution = resolution
        self.revision = revision
    }
}

/// When alerts escalate and how early audits alert.
public struct AlertPolicy: Sendable, Equatable {
    public var escalateAfterDays: Int
    public var auditDueWithinDays: Int

    public init(escalateAfterDays: Int, auditDueWithinDays: Int) {
        self.escalateAfterDays = escalateAfterDays
        self.auditDueWithinDays = auditDueWithinDays
    }

    /// Until a quality manager sets one.
    public static let standard = AlertPolicy(escalateAfterDays: 3, auditDueWithinDays: 30)
}

/// A supplier's audit that falls due soon or is overdue.
public struct DueAudit: Sendable, Equatable {
    public var supplier: String
    public var nextDue: Day

    public init(supplier: String, nextDue: Day) {
        self.supplier = supplier
        self.nextDue = nextDue
    }
}

/// A supplier's approval that has expired.
public struct ExpiredApproval: Sendable, Equatable {
    public var supplier: String
    public var validUntil: Day

    public init(supplier: String, validUntil: Day) {
        self.supplier = supplier
        self.validUntil = validUntil
    }
}

/// The rules of alerts, readable without SQL: which problems raise one, when it escalates,
/// why it resolves, and what it says.
public enum AlertRules {
    /// An open batch raises one alert per requirement it does not satisfy (the customer of the
    /// requirement is the alert's customer), due on its
    /// manufacture date (evidence is due when the batch is made). Released and rejected
    /// batches raise none: a released batch met its requirements and a rejected one ships never.
    public static func batchAlerts(batch: BatchSummary, states: [RequirementState]) -> [AlertDraft] {
        guard batch.status == "open" else { return [] }
        return states.filter { $0.state == "unsatisfied" }.map { state in
            AlertDraft(
                // A consolidated batch carries other customers' requirements too: each alert
                // belongs to the customer whose requirement is missed.
                key: AlertKey(kind: .batchNonCompliant, subject: batch.number, requirement: state.requirement),
                isMandatory: state.isMandatory,
                detail: state.missing.isEmpty ? "" : "missing \(state.missing.joined(separator: ", "))",
                dueOn: batch.manufactureDate
            )
        }
    }

    /// Why a batch's open alert no longer applies.
    public static func batchResolution(of key: AlertKey, batch: BatchSummary?, states: [RequirementState]) -> String {
        guard let batch else { return "the batch was deleted" }
        switch batch.status {
        case "released": return "the batch was released"
        case "rejected": return "the batch was rejected"
        default: break
        }
        switch states.first(where: { $0.requirement == key.requirement })?.state {
        case "satisfied": return "\(key.requirementID) is now satisfied"
        case "waived": return "\(key.requirementID) was waived"
        case "not applicable": return "\(key.requirementID) no longer applies to the batch"
        default: return "\(key.requirementID) is no longer among the batch's requirements"
        }
    }

    /// Audits due within the policy's window (or overdue) and expired approvals, one alert
    /// per supplier each.
    public static func supplierAlerts(audits: [DueAudit], expired: [ExpiredApproval]) -> [AlertDraft] {
        var drafts: [AlertKey: AlertDraft] = [:]
        for audit in audits {
            let key = AlertKey(kind: .supplierAuditDue, subject: audit.supplier)
            if let known = drafts[key], known.dueOn <= audit.nextDue { continue }
            drafts[key] = AlertDraft(key: key, isMandatory: true, detail: "", dueOn: audit.nextDue)
        }
        for approval in expired {
            let key = AlertKey(kind: .supplierApprovalExpired, subject: approval.supplier)
            if let known = drafts[key], known.dueOn <= approval.validUntil { continue }
            drafts[key] = AlertDraft(key: key, isMandatory: true, detail: "", dueOn: approval.validUntil)
        }
        return drafts.values.sorted { ($0.key.kind.rawValue, $0.key.subject) < ($1.key.kind.rawValue, $1.key.subject) }
    }

    /// Why a supplier's open alert no longer applies.
    public static func supplierResolution(of key: AlertKey) -> String {
        switch key.kind {
        case .supplierAuditDue: return "\(key.subject)'s next audit is no longer due within the alert window (an audit was recorded or the window changed)"
        case .supplierApprovalExpired: return "\(key.subject)'s approval was renewed or its ASL entry changed"
        case .batchNonCompliant: return "resolved"
        }
    }

    /// Whole days past due (0 before and on the due day).
    public static func daysOverdue(_ dueOn: Day, today: Day) -> Int {
        max(0, dueOn.days(until: today))
    }

    /// An unresolved alert goes to management once it has been overdue the policy's days.
    public static func level(dueOn: Day, today: Day, policy: AlertPolicy) -> AlertLevel {
        Self.daysOverdue(dueOn, today: today) >= policy.escalateAfterDays ? .management : .qualityTeam
    }

    /// What an alert says, e.g. "Batch B-1 (Customer A) non-compliant. CSR-A-0201 not
    /// satisfied: missing certificate-of-analysis. Days overdue: 2".
    public static func message(of draft: AlertDraft, today: Day) -> String {
        let overdue = Self.daysOverdue(draft.dueOn, today: today)
        switch draft.key.kind {
        case .batchNonCompliant:
            let strength = draft.isMandatory ? "" : " (preferred)"
            let detail = draft.detail.isEmpty ? "" : ": \(draft.detail)"
            return "Batch \(draft.key.subject) (Customer \(draft.customer)) non-compliant. \(draft.key.requirementID)\(strength) not satisfied\(detail). Days overdue: \(overdue)"
        case .supplierAuditDue:
            let left = today.days(until: draft.dueOn)
            if left >= 0 {
                return "Supplier \(draft.key.subject): audit due on \(draft.dueOn) (in \(left) day\(left == 1 ? "" : "s"))"
            }
            return "Supplier \(draft.key.subject): audit overdue since \(draft.dueOn). Days overdue: \(overdue)"
        case .supplierApprovalExpired:
            return "Supplier \(draft.key.subject): approval on the ASL expired on \(draft.dueOn). Days overdue: \(overdue)"
        }
    }
}
