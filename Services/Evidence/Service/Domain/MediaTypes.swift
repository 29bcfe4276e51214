import ConformDomain

/// The media types evidence may have, and how each is recognised from its first bytes: the
/// declared type must be what the content is, so a "PDF" that is not a PDF never becomes
/// evidence.
public enum MediaTypes {
    /// How many leading bytes `check` needs to see.
    public static let headLength = 512

    private static let magic: [String: [[UInt8]]] = [
        "application/pdf": [Array("%PDF-".utf8)],
        "image/jpeg": [[0xFF, 0xD8, 0xFF]],
        "image/png": [[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]],
        "image/tiff": [[0x49, 0x49, 0x2A, 0x00], [0x4D, 0x4D, 0x00, 0x2A]],
    ]
    private static let textual = ["text/plain", "text/csv", "application/xml", "text/xml", "application/json"]

    /// Every media type Conform accepts as evidence.
    public static var supported: [String] { (Array(Self.magic.keys) + Self.textual).sorted() }

    /// Checks the declared type is one Conform accepts, before any content arrives.
    public static func checkSupported(_ declared: String) throws -> String {
        let type = declared.lowercased()
        guard Self.supported.contains(type) else {
            throw DomainError.invalid(
                field: "media_type",
                reason: "'\(declared)' is not a media type Conform keeps as evidence; use one of \(Self.supported.joined(separator: ", "))"
            )
        }
        return type
    }

    /// Refuses content whose first bytes are not of the declared type.
    public static func check(declared type: String, head: [UInt8], fileName: String) throws {
        guard !head.isEmpty else {
            throw DomainError.invalid(field: "content", reason: "is empty; upload the file itself")
        }
        if let signatures = Self.magic[type] {
            guard signatures.contains(where: { head.starts(with: $0) }) else {
                throw DomainError.invalid(
                    field: "content",
                    reason: "of \(fileName.isEmpty ? "the file" : fileName) is not \(type): \(Self.describe(head)); upload the real document or declare its true type"
                )
            }
            return
        }
        guard !head.contains(0) else {
            throw DomainError.invalid(field: "content", reason: "of \(fileName.isEmpty ? "the file" : fileName) is binary, not \(type) text")
        }
        let text = head.drop { [0xEF, 0xBB, 0xBF, 0x20, 0x09, 0x0A, 0x0D].contains($0) }
        switch type {
        case "application/xml", "text/xml":
            guard text.first == UInt8(ascii: "<") else {
                throw DomainError.invalid(field: "content", reason: "of \(fileName.isEmpty ? "the file" : fileName) is not XML: it does not start with '<'")
            }
        case "application/json":
            guard text.first == UInt8(ascii: "{") || text.first == UInt8(ascii: "[") else {
                throw DomainError.invalid(field: "content", reason: "of \(fileName.isEmpty ? "the file" : fileName) is not JSON: it does not start with '{' or '['")
            }
        default:
            break
        }
    }

    /// What the content looks like instead, in words.
    private static func describe(_ head: [UInt8]) -> String {
        for (type, signatures) in Self.magic where signatures.contains(where: { head.starts(with: $0) }) {
            return "its bytes are \(type)"
        }
        if !head.contains(0) { return "its bytes are text" }
        return "its first bytes are " + head.prefix(8).map { String($0, radix: 16) }.joined(separator: " ")
    }
}
