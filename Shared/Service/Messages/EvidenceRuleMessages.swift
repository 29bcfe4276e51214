public import ConformDomain
public import ConformProtos

// Evidence rules between their wire messages and domain values. A rule without a kind, or
// with an enum left unspecified, is refused here, naming the rule's position.

extension EvidenceRule {
    /// The domain rule a message describes; a rule without a kind or with an enum left
    /// unspecified is refused, naming `field`.
    public static func from(_ message: Conform_Requirement_V1_EvidenceRule, field: String) throws -> EvidenceRule {
        func meaning(_ value: Conform_Requirement_V1_SignatureMeaning, _ part: String) throws -> SignatureMeaning {
            switch value {
            case .authored: return .authored
            case .reviewed: return .reviewed
            case .approved: return .approved
            case .responsible: return .responsible
            case .unspecified, .UNRECOGNIZED:
                throw DomainError.invalid(field: "\(field).\(part).meaning", reason: "is required: authored, reviewed, approved or responsible")
            }
        }
        switch message.rule {
        case .document(let rule)?:
            return .document(
                type: rule.type, mediaTypes: rule.mediaTypes, requiredFields: rule.requiredFields,
                signerRole: rule.signerRole.isEmpty ? nil : rule.signerRole
            )
        case .photos(let rule)?:
            return .photos(kind: rule.kind, minimumCount: Int(rule.minimumCount), certification: rule.certification.isEmpty ? nil : rule.certification)
        case .signature(let rule)?:
            return .signature(
                meaning: try meaning(rule.meaning, "signature"),
                role: rule.role.isEmpty ? nil : rule.role,
                certification: rule.certification.isEmpty ? nil : rule.certification
            )
        case .dualSignature(let rule)?:
            return .dualSignature(meaning: try meaning(rule.meaning, "dual_signature"), firstRole: rule.firstRole, secondRole: rule.secondRole)
        case .approvedSupplier(let rule)?:
            return .approvedSupplier(maxAuditAgeDays: Int(rule.maxAuditAgeDays))
        case .serialization(let rule)?:
            return .serialization(methods: try rule.methods.enumerated().map { index, method in
                switch method {
                case .qr: return .qr
                case .nfc: return .nfc
                case .unspecified, .UNRECOGNIZED:
                    throw DomainError.invalid(field: "\(field).serialization.methods[\(index)]", reason: "must be qr or nfc")
                }
            })
        case .recordFields(let rule)?:
            return .recordFields(try rule.fields.enumerated().map { index, recordField in
                let type: RecordField.ValueType
                switch recordField.type {
                case .text: type = .text
                case .number: type = .number
                case .date: type = .date
                case .unspecified, .UNRECOGNIZED:
                    throw DomainError.invalid(field: "\(field).record_fields.fields[\(index)].type", reason: "must be text, number or date")
                }
                return RecordField(name: recordField.name, type: type)
            })
        case .periodicExport(let rule)?:
            let format: ExportFormat
            switch rule.format {
            case .xml: format = .xml
            case .csv: format = .csv
            case .json: format = .json
            case .unspecified, .UNRECOGNIZED:
                throw DomainError.invalid(field: "\(field).periodic_export.format", reason: "must be xml, csv or json")
            }
            let cadence: ExportCadence
            switch rule.cadence {
            case .weekly: cadence = .weekly
            case .monthly: cadence = .monthly
            case .quarterly: cadence = .quarterly
            case .unspecified, .UNRECOGNIZED:
                throw DomainError.invalid(field: "\(field).periodic_export.cadence", reason: "must be weekly, monthly or quarterly")
            }
            return .periodicExport(format: format, cadence: cadence, destination: rule.destination)
        case .part11Controls(let rule)?:
            return .part11Controls(lockOnCompletion: rule.lockOnCompletion, auditAccess: rule.auditAccess)
        case nil:
            throw DomainError.invalid(
                field: field,
                reason: "has no kind this service knows; one of \(EvidenceRule.kinds.joined(separator: ", "))"
            )
        }
    }

    /// The rule as its wire message.
    public var message: Conform_Requirement_V1_EvidenceRule {
        func meaning(_ value: SignatureMeaning) -> Conform_Requirement_V1_SignatureMeaning {
            switch value {
            case .authored: return .authored
            case .reviewed: return .reviewed
            case .approved: return .approved
            case .responsible: return .responsible
            // No rule reserves it (the requirement API has no such meaning to send).
            case .amended: return .unspecified
            }
        }
        return .with { message in
            switch self {
            case .document(let type, let mediaTypes, let fields, let signer):
                message.document = .with {
                    $0.type = type
                    $0.mediaTypes = mediaTypes
                    $0.requiredFields = fields
                    $0.signerRole = signer ?? ""
                }
            case .photos(let kind, let minimum, let certification):
                message.photos = .with {
                    $0.kind = kind
                    $0.minimumCount = UInt32(minimum)
                    $0.certification = certification ?? ""
                }
            case .signature(let value, let role, let certification):
                message.signature = .with {
                    $0.meaning = meaning(value)
                    $0.role = role ?? ""
                    $0.certification = certification ?? ""
                }
            case .dualSignature(let value, let first, let second):
                message.dualSignature = .with {
                    $0.meaning = meaning(value)
                    $0.firstRole = first
                    $0.secondRole = second
                }
            case .approvedSupplier(let days):
                message.approvedSupplier = .with { $0.maxAuditAgeDays = UInt32(days) }
            case .serialization(let methods):
                message.serialization = .with { $0.methods = methods.map { $0 == .qr ? .qr : .nfc } }
            case .recordFields(let fields):
                message.recordFields = .with {
                    $0.fields = fields.map { recordField in
                        .with {
                            $0.name = recordField.name
                            $0.type = recordField.type == .text ? .text : recordField.type == .number ? .number : .date
                        }
                    }
                }
            case .periodicExport(let format, let cadence, let destination):
                message.periodicExport = .with {
                    $0.format = format == .xml ? .xml : format == .csv ? .csv : .json
                    $0.cadence = cadence == .weekly ? .weekly : cadence == .monthly ? .monthly : .quarterly
                    $0.destination = destination
                }
            case .part11Controls(let lock, let audit):
                message.part11Controls = .with {
                    $0.lockOnCompletion = lock
                    $0.auditAccess = audit
                }
            }
        }
    }
}
