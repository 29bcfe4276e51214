import ConformDomain

/// A customer's export as XML in the customer's own element layout.
public enum ExportXML {
    /// The document for `batches` of `period`; the same inputs give the same bytes, so regenerating a period changes nothing unless its data did.
    public static func render(_ definition: ExportDefinition, period: ExportPeriod, batches: [ExportedBatch]) -> String {
        var document = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        document += "<\(definition.rootElement)"
        document += " customer=\"\(Self.escaped(definition.customer, inAttribute: true))\""
        document += " period=\"\(period)\""
        document += " definition=\"\(Self.escaped(definition.name, inAttribute: true))\""
        document += " definitionVersion=\"\(definition.version)\""
        document += " records=\"\(batches.count)\">\n"
        for batch in batches {
            document += "  <\(definition.recordElement)>\n"
            for field in definition.fields {
                let value = Self.escaped(Self.value(of: field.source, for: batch, in: definition), inAttribute: false)
                document += "    <\(field.element)>\(value)</\(field.element)>\n"
            }
            document += "  </\(definition.recordElement)>\n"
        }
        document += "</\(definition.rootElement)>\n"
        return document
    }

    /// Checks a document before it leaves: well-formed XML, the definition's root element with attributes customer/period/definitionVersion matching, exactly `expectedRecords` record elements, each holding every field element of the definition exactly once, in order, with nothing else; throws DomainError.failedPrecondition saying what is wrong (e.g. "record 3 lacks <LotNo>").
    public static func validate(_ document: String, against definition: ExportDefinition, period: ExportPeriod, expectedRecords: Int) throws {
        // Parsed afresh rather than trusting render: this is the last look before a customer's system reads it.
        let root = try XMLScanner.parse(document)
        let rootName = definition.rootElement
        guard root.name == rootName else {
            throw DomainError.failedPrecondition(
                "the root element is <\(root.name)>; export '\(definition.name)' v\(definition.version) has <\(rootName)>"
            )
        }
        var expectedAttributes = [
            ("customer", definition.customer),
            ("period", period.description),
            ("definitionVersion", String(definition.version)),
        ]
        // Optional, but a document that states them must state them right.
        if root.attribute("definition") != nil {
            expectedAttributes.append(("definition", definition.name))
        }
        for (name, expected) in expectedAttributes {
            guard let actual = root.attribute(name) else {
                throw DomainError.failedPrecondition("<\(rootName)> lacks the attribute \(name)=\"\(expected)\"")
            }
            guard actual == expected else {
                throw DomainError.failedPrecondition("<\(rootName)> has \(name)=\"\(actual)\" where \"\(expected)\" is expected")
            }
        }

        let recordName = definition.recordElement
        var records: [XMLScanner.Element] = []
        for node in root.children {
            switch node {
            case .text(let text):
                guard Self.isWhitespace(text) else {
                    let place = records.isEmpty ? "before record 1" : "after record \(records.count)"
                    throw DomainError.failedPrecondition("text \(Self.excerpt(text)) stands \(place); only whitespace belongs between records")
                }
            case .element(let element):
                guard element.name == recordName else {
                    throw DomainError.failedPrecondition("record \(records.count + 1) is <\(element.name)>; records of this export are <\(recordName)>")
                }
                records.append(element)
            }
        }
        guard records.count == expectedRecords else {
            throw DomainError.failedPrecondition("the document holds \(records.count) <\(recordName)> records; \(expectedRecords) are expected")
        }
        if let stated = root.attribute("records"), stated != String(expectedRecords) {
            throw DomainError.failedPrecondition("<\(rootName)> has records=\"\(stated)\" where \"\(expectedRecords)\" is expected")
        }

        // A definition with a repeated element is invalid anyway; keeping the first keeps this from trapping on one.
        let positions = Dictionary(
            definition.fields.enumerated().map { ($0.element.element, $0.offset) },
            uniquingKeysWith: { first, _ in first }
        )
        for (offset, record) in records.enumerated() {
            try Self.checkRecord(record, number: offset + 1, fields: definition.fields, positions: positions)
        }
    }

    private static func checkRecord(_ record: XMLScanner.Element, number: Int, fields: [ExportField], positions: [String: Int]) throws {
        let recordName = record.name
        guard record.attributes.isEmpty else {
            throw DomainError.failedPrecondition("record \(number) <\(recordName)> carries attributes; a record holds only its field elements")
        }
        let elements = record.elements
        var elementIndex = 0
        var fieldIndex = 0
        for node in record.children {
            guard case .element(let element) = node else {
                if case .text(let text) = node, !Self.isWhitespace(text) {
                    throw DomainError.failedPrecondition(
                        "record \(number) holds text \(Self.excerpt(text)) outside its field elements; only whitespace belongs there"
                    )
                }
                continue
            }
            let wanted: String? = fieldIndex < fields.count ? fields[fieldIndex].element : nil
            if element.name != wanted {
                guard let position = positions[element.name] else {
                    throw DomainError.failedPrecondition("record \(number) holds <\(element.name)>, which is not a field of this export")
                }
                // Fields match in order, so an element of an earlier field has been seen already.
                guard position > fieldIndex, let expected = wanted else {
                    throw DomainError.failedPrecondition("record \(number) has <\(element.name)> twice")
                }
                if elements[(elementIndex + 1)...].contains(where: { $0.name == expected }) {
                    throw DomainError.failedPrecondition(
                        "record \(number) has <\(element.name)> before <\(expected)>; fields follow the order of the definition"
                    )
                }
                throw DomainError.failedPrecondition("record \(number) lacks <\(expected)>")
            }
            guard element.attributes.isEmpty else {
                throw DomainError.failedPrecondition("record \(number): <\(element.name)> carries attributes; a field holds only its text")
            }
            if let inner = element.elements.first {
                throw DomainError.failedPrecondition("record \(number): <\(element.name)> holds <\(inner.name)>; a field holds only its text")
            }
            fieldIndex += 1
            elementIndex += 1
        }
        if fieldIndex < fields.count {
            throw DomainError.failedPrecondition("record \(number) lacks <\(fields[fieldIndex].element)>")
        }
    }

    private static func value(of source: ExportSource, for batch: ExportedBatch, in definition: ExportDefinition) -> String {
        switch source {
        case .batchNumber: batch.number
        case .product: batch.product
        case .manufactureDate: batch.manufactureDate.description
        case .status: batch.status
        case .compliant: batch.compliant ? "true" : "false"
        case .missing: batch.missing.joined(separator: "; ")
        case .evidenceCount: String(batch.evidenceCount)
        case .customer: definition.customer
        }
    }

    /// `text` as XML character data; characters XML 1.0 cannot carry at all are dropped, since no escape exists for them.
    private static func escaped(_ text: String, inAttribute: Bool) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            // A parser reads a literal CR as LF, and a literal tab or LF in an attribute as a space;
            // references survive, so the value reads back as it was written.
            case "\r": out += "&#13;"
            case "\t" where inAttribute: out += "&#9;"
            case "\n" where inAttribute: out += "&#10;"
            default:
                if isXMLCharacter(scalar.value) {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    private static func isWhitespace(_ text: String) -> Bool {
        text.utf8.allSatisfy(XMLScanner.isSpace)
    }

    private static func excerpt(_ text: String) -> String {
        let trimmed = text.count > 24 ? String(text.prefix(24)) + "…" : text
        return "'\(trimmed)'"
    }
}

/// Whether XML 1.0 allows the character `value` anywhere in a document.
private func isXMLCharacter(_ value: UInt32) -> Bool {
    switch value {
    case 0x09, 0x0A, 0x0D, 0x20...0xD7FF, 0xE000...0xFFFD, 0x10000...0x10FFFF: true
    default: false
    }
}

private enum Byte {
    static let tab: UInt8 = 0x09
    static let newline: UInt8 = 0x0A
    static let carriageReturn: UInt8 = 0x0D
    static let space: UInt8 = 0x20
    static let quote = UInt8(ascii: "\"")
    static let hash = UInt8(ascii: "#")
    static let ampersand = UInt8(ascii: "&")
    static let apostrophe = UInt8(ascii: "'")
    static let dash = UInt8(ascii: "-")
    static let dot = UInt8(ascii: ".")
    static let slash = UInt8(ascii: "/")
    static let colon = UInt8(ascii: ":")
    static let semicolon = UInt8(ascii: ";")
    static let lt = UInt8(ascii: "<")
    static let equals = UInt8(ascii: "=")
    static let gt = UInt8(ascii: ">")
    static let question = UInt8(ascii: "?")
    static let rightBracket = UInt8(ascii: "]")
    static let underscore = UInt8(ascii: "_")
}

/// Reads the part of XML 1.0 an export uses and rejects anything outside it or not well-formed:
/// no DOCTYPE (so no entity definitions), no processing instructions but the declaration.
private struct XMLScanner {
    struct Element {
        var name: String
        var attributes: [(name: String, value: String)] = []
        var children: [Node] = []

        func attribute(_ name: String) -> String? {
            self.attributes.first { $0.name == name }?.value
        }

        var elements: [Element] {
            self.children.compactMap { node -> Element? in
                if case .element(let element) = node { return element }
                return nil
            }
        }
    }

    enum Node {
        case element(Element)
        case text(String)
    }

    private enum Content {
        case text
        case attribute
        /// CDATA: no references, '<' and '&' stand for themselves.
        case literal
    }

    /// An export nests three deep; the limit keeps hostile nesting from exhausting the stack when the tree is freed.
    private static let maxDepth = 16

    private let bytes: [UInt8]
    private var position = 0

    private init(_ document: String) {
        self.bytes = Array(document.utf8)
    }

    /// The root element of `document`, or DomainError.failedPrecondition saying where it is not well-formed.
    static func parse(_ document: String) throws -> Element {
        var scanner = XMLScanner(document)
        return try scanner.document()
    }

    static func isSpace(_ byte: UInt8) -> Bool {
        byte == Byte.space || byte == Byte.tab || byte == Byte.newline || byte == Byte.carriageReturn
    }

    private mutating func document() throws -> Element {
        if self.starts(with: "\u{FEFF}") {
            self.position += 3
        }
        if self.starts(with: "<?xml"), self.position + 5 < self.bytes.count, Self.isSpace(self.bytes[self.position + 5]) {
            try self.declaration()
        }
        var open: [Element] = []
        var root: Element?
        while self.position < self.bytes.count {
            guard self.bytes[self.position] == Byte.lt else {
                if open.isEmpty {
                    try self.skipSpaceOutsideRoot(rootSeen: root != nil)
                } else {
                    let text = try self.text()
                    Self.append(text, to: &open[open.count - 1])
                }
                continue
            }
            if self.starts(with: "<!--") {
                try self.comment()
            } else if self.starts(with: "<![CDATA[") {
                guard !open.isEmpty else {
                    throw self.failure("a CDATA section outside the root element")
                }
                let text = try self.cdata()
                Self.append(text, to: &open[open.count - 1])
            } else if self.starts(with: "<!") {
                throw self.failure("declarations such as <!DOCTYPE are not allowed")
            } else if self.starts(with: "<?") {
                throw self.failure("a processing instruction; only the XML declaration may appear, and only at the very start")
            } else if self.starts(with: "</") {
                let start = self.position
                let name = try self.endTag()
                guard let element = open.popLast() else {
                    throw self.failure(at: start, "</\(name)> closes nothing: no element is open")
                }
                guard element.name == name else {
                    throw self.failure(at: start, "</\(name)> where </\(element.name)> is expected: <\(element.name)> is still open")
                }
                Self.close(element, into: &open, root: &root)
            } else {
                let start = self.position
                let (element, selfClosing) = try self.startTag()
                guard root == nil else {
                    throw self.failure(at: start, "<\(element.name)> after the root element closed; a document has one root")
                }
                guard open.count < Self.maxDepth else {
                    throw self.failure(at: start, "<\(element.name)> nests deeper than \(Self.maxDepth) levels")
                }
                if selfClosing {
                    Self.close(element, into: &open, root: &root)
                } else {
                    open.append(element)
                }
            }
        }
        if let element = open.last {
            throw self.failure("the document ends while <\(element.name)> is open")
        }
        guard let found = root else {
            throw self.failure("the document has no root element")
        }
        return found
    }

    private static func close(_ element: Element, into open: inout [Element], root: inout Element?) {
        if open.isEmpty {
            root = element
        } else {
            open[open.count - 1].children.append(.element(element))
        }
    }

    /// Adjacent text (split by a comment or CDATA) is one run of text to the reader.
    private static func append(_ text: String, to element: inout Element) {
        if case .text(let previous)? = element.children.last {
            element.children[element.children.count - 1] = .text(previous + text)
        } else {
            element.children.append(.text(text))
        }
    }

    private mutating func declaration() throws {
        let start = self.position
        self.position += 5
        self.skipSpace()
        guard self.starts(with: "version") else {
            throw self.failure(at: start, "the XML declaration must begin with version=\"1.0\"")
        }
        while self.position + 1 < self.bytes.count {
            if self.bytes[self.position] == Byte.question, self.bytes[self.position + 1] == Byte.gt {
                self.position += 2
                return
            }
            self.position += 1
        }
        throw self.failure(at: start, "the XML declaration is never closed with '?>'")
    }

    private mutating func skipSpaceOutsideRoot(rootSeen: Bool) throws {
        while self.position < self.bytes.count, self.bytes[self.position] != Byte.lt {
            guard Self.isSpace(self.bytes[self.position]) else {
                throw self.failure(rootSeen ? "text after the root element closes" : "text before the root element")
            }
            self.position += 1
        }
    }

    private mutating func comment() throws {
        let start = self.position
        self.position += 4
        while self.position + 1 < self.bytes.count {
            let byte = self.bytes[self.position]
            if byte == Byte.dash, self.bytes[self.position + 1] == Byte.dash {
                guard self.position + 2 < self.bytes.count, self.bytes[self.position + 2] == Byte.gt else {
                    throw self.failure("'--' inside a comment; a comment may not hold '--' and ends with '-->'")
                }
                self.position += 3
                return
            }
            if byte < Byte.space, !Self.isSpace(byte) {
                throw self.failure("the control character \(Self.codePoint(byte)) is not allowed in XML 1.0")
            }
            self.position += 1
        }
        throw self.failure(at: start, "a comment is never closed with '-->'")
    }

    private mutating func cdata() throws -> String {
        let start = self.position
        self.position += 9
        let contentStart = self.position
        while self.position + 2 < self.bytes.count {
            if self.bytes[self.position] == Byte.rightBracket, self.bytes[self.position + 1] == Byte.rightBracket,
               self.bytes[self.position + 2] == Byte.gt {
                let text = try self.decode(contentStart..<self.position, in: .literal)
                self.position += 3
                return text
            }
            self.position += 1
        }
        throw self.failure(at: start, "a CDATA section is never closed with ']]>'")
    }

    private mutating func text() throws -> String {
        let start = self.position
        while self.position < self.bytes.count, self.bytes[self.position] != Byte.lt {
            self.position += 1
        }
        return try self.decode(start..<self.position, in: .text)
    }

    private mutating func endTag() throws -> String {
        self.position += 2
        guard let name = self.scanName() else {
            throw self.failure("'</' is not followed by an element name")
        }
        self.skipSpace()
        guard self.position < self.bytes.count, self.bytes[self.position] == Byte.gt else {
            throw self.failure("</\(name) is not closed by '>'")
        }
        self.position += 1
        return name
    }

    private mutating func startTag() throws -> (element: Element, selfClosing: Bool) {
        let start = self.position
        self.position += 1
        guard let name = self.scanName() else {
            throw self.failure(at: start, "a bare '<' in text; write &lt; for a literal '<'")
        }
        var element = Element(name: name)
        while true {
            let spaced = self.skipSpace()
            guard self.position < self.bytes.count else {
                throw self.failure(at: start, "the document ends inside the tag <\(name)")
            }
            switch self.bytes[self.position] {
            case Byte.gt:
                self.position += 1
                return (element, false)
            case Byte.slash:
                guard self.position + 1 < self.bytes.count, self.bytes[self.position + 1] == Byte.gt else {
                    throw self.failure("'/' inside <\(name)> is not followed by '>'")
                }
                self.position += 2
                return (element, true)
            default:
                break
            }
            let attributeStart = self.position
            guard spaced, let attribute = self.scanName() else {
                throw self.failure("<\(name)> holds \(self.current()) where whitespace and an attribute name, '>' or '/>' belong")
            }
            self.skipSpace()
            guard self.position < self.bytes.count, self.bytes[self.position] == Byte.equals else {
                throw self.failure("the attribute \(attribute) of <\(name)> lacks '=' and a quoted value")
            }
            self.position += 1
            self.skipSpace()
            guard self.position < self.bytes.count,
                  self.bytes[self.position] == Byte.quote || self.bytes[self.position] == Byte.apostrophe
            else {
                throw self.failure("the value of \(attribute) in <\(name)> is not quoted")
            }
            let quote = self.bytes[self.position]
            self.position += 1
            let valueStart = self.position
            while self.position < self.bytes.count, self.bytes[self.position] != quote {
                self.position += 1
            }
            guard self.position < self.bytes.count else {
                throw self.failure(at: valueStart, "the value of \(attribute) in <\(name)> has no closing quote")
            }
            let value = try self.decode(valueStart..<self.position, in: .attribute)
            self.position += 1
            guard element.attribute(attribute) == nil else {
                throw self.failure(at: attributeStart, "<\(name)> has the attribute \(attribute) twice")
            }
            element.attributes.append((name: attribute, value: value))
        }
    }

    /// Bytes of non-ASCII characters pass as name characters: the names that matter are compared with the definition's ASCII ones.
    private mutating func scanName() -> String? {
        let start = self.position
        guard start < self.bytes.count, Self.isNameStart(self.bytes[start]) else { return nil }
        self.position += 1
        while self.position < self.bytes.count, Self.isNameByte(self.bytes[self.position]) {
            self.position += 1
        }
        return String(decoding: self.bytes[start..<self.position], as: UTF8.self)
    }

    @discardableResult
    private mutating func skipSpace() -> Bool {
        let start = self.position
        while self.position < self.bytes.count, Self.isSpace(self.bytes[self.position]) {
            self.position += 1
        }
        return self.position > start
    }

    private func starts(with prefix: String) -> Bool {
        self.bytes[self.position...].starts(with: prefix.utf8)
    }

    /// The text of `range` as a reader sees it: references resolved, line ends normalised.
    private func decode(_ range: Range<Int>, in content: Content) throws -> String {
        var out: [UInt8] = []
        out.reserveCapacity(range.count)
        var index = range.lowerBound
        while index < range.upperBound {
            let byte = self.bytes[index]
            switch byte {
            case Byte.ampersand where content != .literal:
                let (scalar, next) = try self.reference(at: index, before: range.upperBound)
                out.append(contentsOf: String(Character(scalar)).utf8)
                index = next
                continue
            case Byte.lt where content == .attribute:
                throw self.failure(at: index, "'<' inside an attribute value; write &lt; for a literal '<'")
            case Byte.carriageReturn:
                out.append(content == .attribute ? Byte.space : Byte.newline)
                if index + 1 < range.upperBound, self.bytes[index + 1] == Byte.newline {
                    index += 1
                }
            case Byte.tab, Byte.newline:
                out.append(content == .attribute ? Byte.space : byte)
            case ..<Byte.space:
                throw self.failure(at: index, "the control character \(Self.codePoint(byte)) is not allowed in XML 1.0")
            case 0xEF where index + 2 < range.upperBound && self.bytes[index + 1] == 0xBF && self.bytes[index + 2] >= 0xBE:
                throw self.failure(at: index, "the noncharacters U+FFFE and U+FFFF are not allowed in XML 1.0")
            case Byte.rightBracket where content == .text && index + 2 < range.upperBound
                && self.bytes[index + 1] == Byte.rightBracket && self.bytes[index + 2] == Byte.gt:
                throw self.failure(at: index, "']]>' in text; write ]]&gt;")
            default:
                out.append(byte)
            }
            index += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    private func reference(at start: Int, before end: Int) throws -> (scalar: Unicode.Scalar, next: Int) {
        var index = start + 1
        while index < end, Self.isNameByte(self.bytes[index]) || self.bytes[index] == Byte.hash {
            index += 1
        }
        guard index > start + 1, index < end, self.bytes[index] == Byte.semicolon else {
            throw self.failure(at: start, "a bare '&'; write &amp; for a literal '&'")
        }
        let name = String(decoding: self.bytes[(start + 1)..<index], as: UTF8.self)
        let resolved: Unicode.Scalar?
        switch name {
        case "lt": resolved = "<"
        case "gt": resolved = ">"
        case "amp": resolved = "&"
        case "quot": resolved = "\""
        case "apos": resolved = "'"
        default:
            if name.hasPrefix("#x") {
                resolved = Self.characterReference(name.dropFirst(2), radix: 16)
            } else if name.hasPrefix("#") {
                resolved = Self.characterReference(name.dropFirst(), radix: 10)
            } else {
                throw self.failure(
                    at: start, "the entity &\(name); is not defined; only &lt; &gt; &amp; &quot; &apos; and character references such as &#38; are"
                )
            }
        }
        guard let scalar = resolved else {
            throw self.failure(at: start, "&\(name); does not name a character XML 1.0 allows")
        }
        return (scalar, index + 1)
    }

    private static func characterReference(_ digits: Substring, radix: Int) -> Unicode.Scalar? {
        guard !digits.isEmpty,
              digits.utf8.allSatisfy({ radix == 16 ? Self.isHexDigit($0) : Self.isDigit($0) }),
              let value = UInt32(digits, radix: radix), isXMLCharacter(value)
        else { return nil }
        return Unicode.Scalar(value)
    }

    private func current() -> String {
        guard self.position < self.bytes.count else { return "the end of the document" }
        let byte = self.bytes[self.position]
        return byte > Byte.space && byte < 0x7F ? "'\(Character(Unicode.Scalar(byte)))'" : Self.codePoint(byte)
    }

    private func failure(_ message: String) -> DomainError {
        self.failure(at: self.position, message)
    }

    private func failure(at offset: Int, _ message: String) -> DomainError {
        var line = 1
        for byte in self.bytes[..<min(offset, self.bytes.count)] where byte == Byte.newline {
            line += 1
        }
        return .failedPrecondition("the document is not well-formed XML (line \(line)): \(message)")
    }

    private static func codePoint(_ byte: UInt8) -> String {
        let hex = String(byte, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }

    private static func isNameStart(_ byte: UInt8) -> Bool {
        Self.isLetter(byte) || byte == Byte.underscore || byte == Byte.colon || byte >= 0x80
    }

    private static func isNameByte(_ byte: UInt8) -> Bool {
        Self.isNameStart(byte) || Self.isDigit(byte) || byte == Byte.dash || byte == Byte.dot
    }

    private static func isLetter(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        Self.isDigit(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(byte)
    }
}
