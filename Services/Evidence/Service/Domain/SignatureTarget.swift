import ConformDomain

/// What a signature is on: a batch record, an evidence item, or a lot's receipt (an
/// exception's approval). Signatures are kept and looked up by the target's text, so a
/// manifest must spell it exactly as `text` does (docs/SIGNATURES.md).
public enum SignatureTarget: Sendable, Equatable {
    case batch(String)
    case evidence(Int64)
    case lot(String)

    /// Reads a target leniently, for a lookup: "batch:d-500" is batch D-500, "evidence:007"
    /// item 7. What is signed must be canonical: see `canonical(_:field:)`.
    public init(_ text: String, field: String = "target") throws {
        if text.hasPrefix("batch:"), let number = try? FieldRules.code(String(text.dropFirst(6)), field: field, maxLength: 64) {
            self = .batch(number)
        } else if text.hasPrefix("evidence:"), let id = Int64(text.dropFirst(9)), id > 0 {
            self = .evidence(id)
        } else if text.hasPrefix("lot:"), let lot = try? FieldRules.code(String(text.dropFirst(4)), field: field, maxLength: 64) {
            self = .lot(lot)
        } else {
            throw DomainError.invalid(field: field, reason: "'\(text)' must be batch:NUMBER, evidence:ID or lot:LOT")
        }
    }

    /// Reads a target that is to be signed and stored, refusing any spelling but the
    /// canonical one (upper-case batch number and lot, decimal item id without sign or leading
    /// zeros, no spaces): one stored as written otherwise is never found again.
    public static func canonical(_ text: String, field: String) throws -> SignatureTarget {
        let target = try SignatureTarget(text, field: field)
        guard target.text == text else {
            throw DomainError.invalid(field: field, reason: "'\(text)' is not canonical: write it '\(target.text)'")
        }
        return target
    }

    /// The canonical text, e.g. "batch:D-2025-0007", "evidence:7", "lot:NC-2025-007".
    public var text: String {
        switch self {
        case .batch(let number): return "batch:\(number)"
        case .evidence(let id): return "evidence:\(id)"
        case .lot(let lot): return "lot:\(lot)"
        }
    }
}
