import ConformDomain

/// The rules a customer's export definition must keep before it is stored.
public enum ExportRules {
    /// Customers' import tools choke on very long names and wide records; 64 is far above any layout seen so far.
    private static let maxNameLength = 64
    private static let maxFields = 64

    /// Throws DomainError.invalid naming the field (e.g. "fields[2].element") with a reason a person can act on.
    public static func check(_ definition: ExportDefinition) throws {
        try Self.checkName(definition.name)
        try Self.checkElement(definition.rootElement, field: "root_element")
        try Self.checkElement(definition.recordElement, field: "record_element")
        guard definition.recordElement != definition.rootElement else {
            throw DomainError.invalid(
                field: "record_element",
                reason: "'\(definition.recordElement)' is also the root element; give records an element of their own"
            )
        }
        guard !definition.fields.isEmpty else {
            throw DomainError.invalid(field: "fields", reason: "an export needs at least one field")
        }
        guard definition.fields.count <= Self.maxFields else {
            throw DomainError.invalid(field: "fields", reason: "has \(definition.fields.count) fields; at most \(Self.maxFields) are allowed")
        }
        var seen: Set<String> = []
        for (index, field) in definition.fields.enumerated() {
            let name = "fields[\(index)].element"
            try Self.checkElement(field.element, field: name)
            guard field.element != definition.rootElement, field.element != definition.recordElement else {
                let role = field.element == definition.rootElement ? "root" : "record"
                throw DomainError.invalid(field: name, reason: "'\(field.element)' is the \(role) element; a field needs an element of its own")
            }
            guard seen.insert(field.element).inserted else {
                throw DomainError.invalid(field: name, reason: "'\(field.element)' is used twice; each element appears once per record")
            }
        }
    }

    /// Whether `name` is a safe XML element name: starts with a letter or '_', then letters, digits, '-', '_', '.'; at most 64 chars; not starting with "xml" in any case.
    public static func isElementName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        // ASCII only: customers' parsers disagree on which non-ASCII letters a name may hold.
        guard let first = bytes.first, bytes.count <= Self.maxNameLength, Self.isLetter(first) || first == UInt8(ascii: "_") else {
            return false
        }
        guard bytes.allSatisfy({ Self.isLetter($0) || Self.isDigit($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") }) else {
            return false
        }
        // The XML specification reserves every name beginning with "xml".
        return !name.lowercased().hasPrefix("xml")
    }

    private static func checkName(_ name: String) throws {
        guard !name.isEmpty else {
            throw DomainError.invalid(field: "name", reason: "is required: lower-case letters, digits and '-', e.g. monthly-lots")
        }
        guard name.count <= Self.maxNameLength else {
            throw DomainError.invalid(field: "name", reason: "is \(name.count) characters; at most \(Self.maxNameLength) are allowed")
        }
        let bytes = Array(name.utf8)
        guard let first = bytes.first, Self.isLowercaseLetter(first),
              bytes.allSatisfy({ Self.isLowercaseLetter($0) || Self.isDigit($0) || $0 == UInt8(ascii: "-") })
        else {
            throw DomainError.invalid(
                field: "name",
                reason: "'\(name)' may hold only lower-case letters, digits and '-', and must start with a letter, because it is also part of file names"
            )
        }
    }

    private static func checkElement(_ element: String, field: String) throws {
        guard !element.isEmpty else {
            throw DomainError.invalid(field: field, reason: "is required: an XML element name such as LotNo")
        }
        guard element.count <= Self.maxNameLength else {
            throw DomainError.invalid(field: field, reason: "is \(element.count) characters; at most \(Self.maxNameLength) are allowed")
        }
        guard Self.isElementName(element) else {
            let reason = element.lowercased().hasPrefix("xml")
                ? "'\(element)' starts with 'xml', which XML reserves; choose another name"
                : "'\(element)' is not an XML element name: start with a letter or '_', then use only ASCII letters, digits, '-', '_' and '.' (no spaces)"
            throw DomainError.invalid(field: field, reason: reason)
        }
    }

    private static func isLetter(_ byte: UInt8) -> Bool {
        Self.isLowercaseLetter(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }

    private static func isLowercaseLetter(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }
}
