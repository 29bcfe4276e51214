public import ConformDomain

/// The industry a customer's requirements come from.
public enum Industry: String, Sendable, CaseIterable {
    case automotive
    case aerospace
    case medicalDevice = "medical-device"
    case other
}

/// A customer whose requirements Conform keeps.
public struct Customer: Sendable, Equatable {
    public var code: String
    public var name: String
    public var industry: Industry
    public var contacts: [Contact]
    public var notes: String
    public var createdAtMicros: Int64
    public var createdBy: String
}

/// A customer as asked for, checked: what `CustomerRules.validate` returns.
public struct NewCustomer: Sendable, Equatable {
    public var code: String
    public var name: String
    public var industry: Industry
    public var contacts: [Contact]
    public var notes: String
}

/// What a customer record must satisfy.
public enum CustomerRules {
    public static let maxCodeLength = 32
    public static let maxContacts = 20

    /// Checks and normalises a new customer; every error names the field.
    public static func validate(
        code: String,
        name: String,
        industry: Industry?,
        contacts: [Contact],
        notes: String
    ) throws -> NewCustomer {
        let code = try FieldRules.code(code, field: "code", maxLength: maxCodeLength)
        let name = try FieldRules.text(name, field: "name", maxLength: 200)
        guard let industry else {
            throw DomainError.invalid(
                field: "industry",
                reason: "is required: one of \(Industry.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
        guard contacts.count <= maxContacts else {
            throw DomainError.invalid(field: "contacts", reason: "has \(contacts.count) entries; at most \(maxContacts) are allowed")
        }
        let checkedContacts = try contacts.enumerated().map { index, contact in
            try Contact.checked(name: contact.name, email: contact.email, role: contact.role, at: index)
        }
        let notes = try FieldRules.optionalText(notes, field: "notes", maxLength: 10_000)
        return NewCustomer(code: code, name: name, industry: industry, contacts: checkedContacts, notes: notes)
    }
}
