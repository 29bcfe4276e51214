/// Checks shared by every service's validation: codes, names and free text.
public enum FieldRules {
    /// A code: letters, digits, '.', '_' or '-', starting with a letter or digit, returned
    /// upper-cased so that "a" and "A" are the same customer.
    public static func code(_ value: String, field: String, maxLength: Int) throws -> String {
        let trimmed = value.trimmingWhitespace()
        guard !trimmed.isEmpty else {
            throw DomainError.invalid(field: field, reason: "is required")
        }
        guard trimmed.count <= maxLength else {
            throw DomainError.invalid(field: field, reason: "is \(trimmed.count) characters; at most \(maxLength) are allowed")
        }
        guard let first = trimmed.first, first.isASCII, first.isLetter || first.isNumber,
              trimmed.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) })
        else {
            throw DomainError.invalid(
                field: field,
                reason: "'\(trimmed)' may hold only letters, digits, '.', '_' and '-', and must start with a letter or digit"
            )
        }
        return trimmed.uppercased()
    }

    /// Required text of bounded length, trimmed.
    public static func text(_ value: String, field: String, maxLength: Int) throws -> String {
        let trimmed = value.trimmingWhitespace()
        guard !trimmed.isEmpty else {
            throw DomainError.invalid(field: field, reason: "is required")
        }
        return try self.optionalText(trimmed, field: field, maxLength: maxLength)
    }

    /// Optional text of bounded length, trimmed ("" when absent).
    public static func optionalText(_ value: String, field: String, maxLength: Int) throws -> String {
        let trimmed = value.trimmingWhitespace()
        guard trimmed.count <= maxLength else {
            throw DomainError.invalid(field: field, reason: "is \(trimmed.count) characters; at most \(maxLength) are allowed")
        }
        guard !trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control && $0 != "\n" && $0 != "\t" }) else {
            throw DomainError.invalid(field: field, reason: "contains control characters")
        }
        return trimmed
    }

    /// An e-mail address, loosely: something@something.something, no spaces.
    public static func email(_ value: String, field: String) throws -> String {
        let trimmed = value.trimmingWhitespace()
        let parts = trimmed.split(separator: "@", omittingEmptySubsequences: false)
        guard trimmed.count <= 254, parts.count == 2, !parts[0].isEmpty, parts[1].contains("."),
              !parts[1].hasPrefix("."), !parts[1].hasSuffix("."), !trimmed.contains(where: \.isWhitespace)
        else {
            throw DomainError.invalid(field: field, reason: "'\(trimmed)' is not an e-mail address")
        }
        return trimmed
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars = scalars.dropFirst() }
        while let last = scalars.last, last.isWhitespace { scalars = scalars.dropLast() }
        return String(scalars)
    }
}
