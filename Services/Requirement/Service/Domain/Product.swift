import ConformDomain

/// Something the supplier makes, ordered by one or more customers.
public struct Product: Sendable, Equatable {
    public var code: String
    public var name: String
    /// The product family ("" when none), e.g. "FASTENERS": a requirement can apply to a family.
    public var family: String
    public var description: String
    public var createdAtMicros: Int64
    public var createdBy: String
}

/// A product as asked for, checked.
public struct NewProduct: Sendable, Equatable {
    public var code: String
    public var name: String
    public var family: String
    public var description: String
}

/// What a product record must satisfy.
public enum ProductRules {
    public static let maxCodeLength = 64

    public static func validate(code: String, name: String, family: String, description: String) throws -> NewProduct {
        NewProduct(
            code: try FieldRules.code(code, field: "code", maxLength: maxCodeLength),
            name: try FieldRules.text(name, field: "name", maxLength: 200),
            family: family.allSatisfy(\.isWhitespace) ? "" : try FieldRules.code(family, field: "family", maxLength: maxCodeLength),
            description: try FieldRules.optionalText(description, field: "description", maxLength: 10_000)
        )
    }
}
