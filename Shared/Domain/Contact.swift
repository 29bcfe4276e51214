/// Someone to ask at a customer or a supplier.
public struct Contact: Sendable, Equatable, Codable {
    public var name: String
    public var email: String
    public var role: String

    public init(name: String, email: String, role: String) {
        self.name = name
        self.email = email
        self.role = role
    }

    /// The contact at `index` of a list, checked, with errors naming `contacts[index].field`.
    public static func checked(name: String, email: String, role: String, at index: Int, roleMaxLength: Int = 200) throws -> Contact {
        Contact(
            name: try FieldRules.text(name, field: "contacts[\(index)].name", maxLength: 200),
            email: try FieldRules.email(email, field: "contacts[\(index)].email"),
            role: try FieldRules.optionalText(role, field: "contacts[\(index)].role", maxLength: roleMaxLength)
        )
    }
}
