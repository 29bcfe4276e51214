/// What a machine checks to decide that a requirement version is satisfied: the vocabulary the
/// requirement service stores and the batch and evidence services evaluate.
public enum EvidenceRule: Sendable, Equatable, Codable {
    /// A document of a type (e.g. certificate-of-analysis) with accepted media types, required
    /// metadata fields, and optionally a role that must sign it.
    case document(type: String, mediaTypes: [String], requiredFields: [String], signerRole: String?)
    /// At least `minimumCount` photos of a kind (e.g. ndt), optionally by a certified person.
    case photos(kind: String, minimumCount: Int, certification: String?)
    /// A signature with a meaning by someone holding a role and/or a certification.
    case signature(meaning: SignatureMeaning, role: String?, certification: String?)
    /// Two signatures with a meaning by two different people with the given roles.
    case dualSignature(meaning: SignatureMeaning, firstRole: String, secondRole: String)
    /// Material only from approved suppliers audited within `maxAuditAgeDays`.
    case approvedSupplier(maxAuditAgeDays: Int)
    /// Every unit serialized by these methods.
    case serialization(methods: [SerializationMethod])
    /// Customer-required fields in the batch record.
    case recordFields([RecordField])
    /// A data export in a format, on a cadence, to a destination.
    case periodicExport(format: ExportFormat, cadence: ExportCadence, destination: String)
    /// 21 CFR Part 11 record controls.
    case part11Controls(lockOnCompletion: Bool, auditAccess: Bool)

    /// The rule's kind as people and files name it.
    public var kind: String {
        switch self {
        case .document: return "document"
        case .photos: return "photos"
        case .signature: return "signature"
        case .dualSignature: return "dual-signature"
        case .approvedSupplier: return "approved-supplier"
        case .serialization: return "serialization"
        case .recordFields: return "record-fields"
        case .periodicExport: return "periodic-export"
        case .part11Controls: return "part11-controls"
        }
    }

    public static let kinds = [
        "document", "photos", "signature", "dual-signature", "approved-supplier", "serialization", "record-fields",
        "periodic-export", "part11-controls",
    ]
}

/// What a signature means (21 CFR 11.50).
public enum SignatureMeaning: String, Sendable, Codable, CaseIterable {
    case authored, reviewed, approved, responsible
    /// A quality manager's approval of a completed record as amended. No requirement's rule
    /// reserves it: every amendment of a completed record takes it.
    case amended
}

public enum SerializationMethod: String, Sendable, Codable, CaseIterable {
    case qr, nfc
}

public enum ExportFormat: String, Sendable, Codable, CaseIterable {
    case xml, csv, json
}

public enum ExportCadence: String, Sendable, Codable, CaseIterable {
    case weekly, monthly, quarterly
}

/// A field the customer requires in the batch record.
public struct RecordField: Sendable, Equatable, Codable {
    public enum ValueType: String, Sendable, Codable, CaseIterable {
        case text, number, date
    }

    /// e.g. "smelter-production-date".
    public var name: String
    public var type: ValueType

    public init(name: String, type: ValueType) {
        self.name = name
        self.type = type
    }
}

/// The checks every evidence rule must pass before it is stored.
public enum EvidenceRuleRules {
    /// Checks `rule`, naming `field` (e.g. "version.evidence_rules[2]") in every error.
    public static func validate(_ rule: EvidenceRule, field: String) throws -> EvidenceRule {
        func name(_ value: String, _ part: String) throws -> String {
            try self.name(value, field: "\(field).\(part)")
        }
        func optionalName(_ value: String?, _ part: String) throws -> String? {
            guard let value, !value.isEmpty else { return nil }
            return try name(value, part)
        }
        switch rule {
        case .document(let type, let mediaTypes, let fields, let signer):
            guard !mediaTypes.isEmpty else {
                throw DomainError.invalid(field: "\(field).document.media_types", reason: "lists no media type; name at least one, e.g. application/pdf")
            }
            for (index, mediaType) in mediaTypes.enumerated() where !Self.isMediaType(mediaType) {
                throw DomainError.invalid(field: "\(field).document.media_types[\(index)]", reason: "'\(mediaType)' is not a media type like application/pdf")
            }
            return .document(
                type: try name(type, "document.type"),
                mediaTypes: mediaTypes,
                requiredFields: try fields.enumerated().map { try name($1, "document.required_fields[\($0)]") },
                signerRole: try optionalName(signer, "document.signer_role")
            )
        case .photos(let kind, let minimum, let certification):
            guard (1...1_000).contains(minimum) else {
                throw DomainError.invalid(field: "\(field).photos.minimum_count", reason: "is \(minimum); it must be 1 to 1000")
            }
            return .photos(kind: try name(kind, "photos.kind"), minimumCount: minimum, certification: try optionalName(certification, "photos.certification"))
        case .signature(let meaning, let role, let certification):
            let role = try optionalName(role, "signature.role")
            let certification = try optionalName(certification, "signature.certification")
            guard role != nil || certification != nil else {
                throw DomainError.invalid(field: "\(field).signature", reason: "names neither a role nor a certification; who may sign?")
            }
            return .signature(meaning: meaning, role: role, certification: certification)
        case .dualSignature(let meaning, let first, let second):
            return .dualSignature(meaning: meaning, firstRole: try name(first, "dual_signature.first_role"), secondRole: try name(second, "dual_signature.second_role"))
        case .approvedSupplier(let days):
            guard (1...3_650).contains(days) else {
                throw DomainError.invalid(field: "\(field).approved_supplier.max_audit_age_days", reason: "is \(days); it must be 1 to 3650")
            }
            return rule
        case .serialization(let methods):
            guard !methods.isEmpty else {
                throw DomainError.invalid(field: "\(field).serialization.methods", reason: "lists no method; name qr, nfc or both")
            }
            return .serialization(methods: SerializationMethod.allCases.filter(methods.contains))
        case .recordFields(let fields):
            guard !fields.isEmpty else {
                throw DomainError.invalid(field: "\(field).record_fields.fields", reason: "lists no field")
            }
            var seen = Set<String>()
            return .recordFields(try fields.enumerated().map { index, recordField in
                let checked = try name(recordField.name, "record_fields.fields[\(index)].name")
                guard seen.insert(checked).inserted else {
                    throw DomainError.invalid(field: "\(field).record_fields.fields[\(index)].name", reason: "'\(checked)' is listed twice")
                }
                return RecordField(name: checked, type: recordField.type)
            })
        case .periodicExport(let format, let cadence, let destination):
            let destination = try FieldRules.text(destination, field: "\(field).periodic_export.destination", maxLength: 500)
            return .periodicExport(format: format, cadence: cadence, destination: destination)
        case .part11Controls(let lock, let audit):
            guard lock || audit else {
                throw DomainError.invalid(field: "\(field).part11_controls", reason: "asks for no control; set lock_on_completion, audit_access or both")
            }
            return rule
        }
    }

    /// A name in rules: lower-case letters, digits and '-', e.g. "certificate-of-analysis".
    public static func name(_ value: String, field: String) throws -> String {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { throw DomainError.invalid(field: field, reason: "is required") }
        guard trimmed.count <= 64, let first = trimmed.first, first.isLetter,
              trimmed.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") })
        else {
            throw DomainError.invalid(field: field, reason: "'\(value)' must be lower-case letters, digits and '-', e.g. certificate-of-analysis")
        }
        return trimmed
    }

    public static func isMediaType(_ value: String) -> Bool {
        let parts = value.split(separator: "/", omittingEmptySubsequences: false)
        return parts.count == 2 && parts.allSatisfy { part in
            !part.isEmpty && part.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "+-.".contains($0)) }
        }
    }
}

import Foundation
