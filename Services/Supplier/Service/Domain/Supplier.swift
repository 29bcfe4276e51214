public import ConformDomain
import Foundation

/// A supplier of material or processes.
public struct Supplier: Sendable, Equatable {
    public var code: String
    public var name: String
    public var sites: [String]
    public var contacts: [Contact]

    public init(code: String, name: String, sites: [String], contacts: [Contact]) {
        self.code = code
        self.name = name
        self.sites = sites
        self.contacts = contacts
    }
}

/// Where a supplier stands on the Approved Supplier List.
public enum ApprovalStatus: String, Sendable, CaseIterable {
    case approved, conditional, probation, disqualified

    /// Whether receipts from a supplier in this status may be accepted.
    public var acceptsReceipts: Bool { self == .approved || self == .conditional }
}

/// A supplier's entry on the Approved Supplier List.
public struct AslEntry: Sendable, Equatable {
    public var supplier: String
    public var status: ApprovalStatus
    /// The materials or processes the approval covers.
    public var scope: [String]
    public var approvedOn: Day
    public var approvedBy: String
    /// The last day the approval holds.
    public var validUntil: Day
    public var notes: String

    public init(supplier: String, status: ApprovalStatus, scope: [String], approvedOn: Day, approvedBy: String, validUntil: Day, notes: String) {
        self.supplier = supplier
        self.status = status
        self.scope = scope
        self.approvedOn = approvedOn
        self.approvedBy = approvedBy
        self.validUntil = validUntil
        self.notes = notes
    }

    /// Whether the approval covers `material` (compared without case or surrounding spaces).
    public func covers(_ material: String) -> Bool {
        let wanted = SupplierRules.materialKey(material)
        return self.scope.contains { SupplierRules.materialKey($0) == wanted }
    }
}

/// What a supplier audit concluded.
public enum AuditResult: String, Sendable, CaseIterable {
    case passed
    case passedWithFindings = "passed-with-findings"
    case failed

    /// Whether the audit qualifies the supplier: a failed audit does not.
    public var qualifies: Bool { self != .failed }
}

/// A quality audit of a supplier.
public struct SupplierAudit: Sendable, Equatable {
    public var id: Int64
    public var supplier: String
    public var date: Day
    public var type: String
    public var auditor: String
    public var result: AuditResult
    public var findings: [String]
    public var nextDue: Day
    public var recordedBy: String

    public init(
        id: Int64, supplier: String, date: Day, type: String, auditor: String, result: AuditResult, findings: [String], nextDue: Day, recordedBy: String
    ) {
        self.id = id
        self.supplier = supplier
        self.date = date
        self.type = type
        self.auditor = auditor
        self.result = result
        self.findings = findings
        self.nextDue = nextDue
        self.recordedBy = recordedBy
    }
}

/// Checks on suppliers, ASL entries and audits before they are stored.
public enum SupplierRules {
    public static let maxCodeLength = 32

    /// How materials are compared: "6061-T6 bar" and "6061-t6 BAR" are the same material.
    public static func materialKey(_ material: String) -> String {
        material.trimmingCharacters(in: .whitespaces).lowercased()
    }

    public static func entry(
        supplier: String, status: ApprovalStatus?, scope: [String], approvedOn: String, validUntil: String, notes: String, approvedBy: String
    ) throws -> AslEntry {
        guard let status else {
            throw DomainError.invalid(field: "status", reason: "is required: approved, conditional, probation or disqualified")
        }
        let from = try Day.parse(approvedOn, field: "approved_on")
        let until = try Day.parse(validUntil, field: "valid_until")
        guard from <= until else {
            throw DomainError.invalid(field: "valid_until", reason: "\(until) is before approved_on \(from)")
        }
        let materials = try scope.enumerated().map { index, material in
            try FieldRules.text(material, field: "scope[\(index)]", maxLength: 200)
        }
        if status.acceptsReceipts, materials.isEmpty {
            throw DomainError.invalid(field: "scope", reason: "is empty; name the materials or processes the approval covers")
        }
        return AslEntry(
            supplier: supplier, status: status, scope: materials, approvedOn: from, approvedBy: approvedBy, validUntil: until,
            notes: try FieldRules.optionalText(notes, field: "notes", maxLength: 2_000)
        )
    }

    public static func audit(
        supplier: String, date: String, type: String, auditor: String, result: AuditResult?, findings: [String], nextDue: String, recordedBy: String
    ) throws -> SupplierAudit {
        guard let result else {
            throw DomainError.invalid(field: "result", reason: "is required: passed, passed-with-findings or failed")
        }
        let day = try Day.parse(date, field: "date")
        let due = try Day.parse(nextDue, field: "next_due")
        guard day < due else {
            throw DomainError.invalid(field: "next_due", reason: "\(due) is not after the audit's date \(day)")
        }
        return SupplierAudit(
            id: 0, supplier: supplier, date: day,
            type: try FieldRules.text(type, field: "type", maxLength: 100),
            auditor: try FieldRules.text(auditor, field: "auditor", maxLength: 200),
            result: result,
            findings: try findings.enumerated().map { try FieldRules.text($1, field: "findings[\($0)]", maxLength: 2_000) },
            nextDue: due, recordedBy: recordedBy
        )
    }
}
