import ConformProtos

/// An enum whose zero value means "not given", which the service refuses by field name.
protocol SwiftProtobufEnumDefault {
    static var unspecifiedValue: Self { get }
}

extension Conform_Requirement_V1_RequirementCategory: SwiftProtobufEnumDefault {
    static var unspecifiedValue: Self { .unspecified }
}

extension Conform_Requirement_V1_RequirementStrength: SwiftProtobufEnumDefault {
    static var unspecifiedValue: Self { .unspecified }
}

extension Conform_Requirement_V1_SourceKind: SwiftProtobufEnumDefault {
    static var unspecifiedValue: Self { .unspecified }
}

/// The words people write in a requirements file, and what they mean on the wire.
enum Names {
    static let categories: [String: Conform_Requirement_V1_RequirementCategory] = [
        "quality": .quality, "traceability": .traceability, "documentation": .documentation,
        "regulatory": .regulatory, "special-processing": .specialProcessing,
    ]

    static let strengths: [String: Conform_Requirement_V1_RequirementStrength] = ["mandatory": .mandatory, "preferred": .preferred]

    static let sourceKinds: [String: Conform_Requirement_V1_SourceKind] = [
        "email": .email, "customer-specification": .customerSpecification, "customer-portal": .customerPortal,
        "audit-finding": .auditFinding, "meeting": .meeting,
    ]

    /// Each kind of evidence rule under the names a file may use, to its protobuf field name.
    static let ruleKinds: [String: String] = {
        let kinds = ["document", "photos", "signature", "dual_signature", "approved_supplier", "serialization",
                     "record_fields", "periodic_export", "part11_controls"]
        var names: [String: String] = [:]
        for kind in kinds {
            names[kind] = kind
            names[kind.replacingOccurrences(of: "_", with: "-")] = kind
            let parts = kind.split(separator: "_")
            names[parts[0] + parts.dropFirst().map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()] = kind
        }
        return names
    }()

    /// A rule's body with enum values written short ("qr", "approved", "monthly", "date")
    /// spelled the way protobuf JSON reads them ("SERIALIZATION_METHOD_QR", ...).
    static func friendlyEnums(in body: Any, kind: String) -> Any {
        guard var object = body as? [String: Any] else { return body }
        func spell(_ value: Any?, prefix: String) -> Any? {
            guard let text = value as? String else { return value }
            let upper = text.uppercased().replacingOccurrences(of: "-", with: "_")
            return upper.hasPrefix(prefix) ? upper : prefix + upper
        }
        switch kind {
        case "signature", "dual_signature":
            object["meaning"] = spell(object["meaning"], prefix: "SIGNATURE_MEANING_")
        case "serialization":
            if let methods = object["methods"] as? [Any] {
                object["methods"] = methods.map { spell($0, prefix: "SERIALIZATION_METHOD_") ?? $0 }
            }
        case "periodic_export":
            object["format"] = spell(object["format"], prefix: "EXPORT_FORMAT_")
            object["cadence"] = spell(object["cadence"], prefix: "EXPORT_CADENCE_")
        case "record_fields":
            if let fields = object["fields"] as? [Any] {
                object["fields"] = fields.map { field -> Any in
                    guard var field = field as? [String: Any] else { return field }
                    field["type"] = spell(field["type"], prefix: "VALUE_TYPE_")
                    return field
                }
            }
        default:
            break
        }
        return object
    }
}
