import Foundation

/// Exactly what a signer signs: which record, its digest, what the signature means, who and
/// when. Its text form is canonical (docs/SIGNATURES.md), so anyone can rebuild the bytes and
/// check the signature without Conform.
public struct SignatureManifest: Sendable, Equatable {
    public static let header = "conform-signature/1"

    /// "batch:NUMBER" or "evidence:ID".
    public var target: String
    /// "sha256:HEX" of the record when signed.
    public var digest: String
    public var meaning: SignatureMeaning
    public var signer: String
    public var printedName: String
    /// Microseconds since the epoch, UTC.
    public var signedAtMicros: Int64

    public init(target: String, digest: String, meaning: SignatureMeaning, signer: String, printedName: String, signedAtMicros: Int64) {
        self.target = target
        self.digest = digest
        self.meaning = meaning
        self.signer = signer
        self.printedName = printedName
        self.signedAtMicros = signedAtMicros
    }

    /// The canonical text: one "key: value" line each, in this order, "\n" after each.
    public var text: String {
        [
            Self.header,
            "target: \(self.target)",
            "digest: \(self.digest)",
            "meaning: \(self.meaning.rawValue)",
            "signer: \(self.signer)",
            "printed-name: \(self.printedName)",
            "signed-at: \(Self.timestamp(self.signedAtMicros))",
        ].map { $0 + "\n" }.joined()
    }

    /// The day of signing, UTC.
    public var signingDay: Day {
        Day(Date(timeIntervalSince1970: TimeInterval(self.signedAtMicros / 1_000_000)))
    }

    /// Reads a manifest, refusing any text that is not exactly canonical.
    public static func parse(_ text: String) throws -> SignatureManifest {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard lines.count == 8, lines[0] == Self.header, lines[7].isEmpty else {
            throw DomainError.invalid(field: "manifest", reason: "is not a \(Self.header) manifest of seven lines (docs/SIGNATURES.md shows the form)")
        }
        func value(_ index: Int, _ key: String) throws -> String {
            let prefix = "\(key): "
            guard lines[index].hasPrefix(prefix) else {
                throw DomainError.invalid(field: "manifest", reason: "line \(index + 1) must start with '\(prefix)'")
            }
            let value = String(lines[index].dropFirst(prefix.count))
            guard !value.isEmpty, value.trimmingCharacters(in: .whitespaces) == value else {
                throw DomainError.invalid(field: "manifest", reason: "line \(index + 1) ('\(key)') is empty or has surrounding spaces")
            }
            return value
        }
        guard let meaning = SignatureMeaning(rawValue: try value(3, "meaning")) else {
            throw DomainError.invalid(field: "manifest", reason: "meaning must be authored, reviewed, approved or responsible")
        }
        guard let micros = Self.micros(try value(6, "signed-at")) else {
            throw DomainError.invalid(field: "manifest", reason: "signed-at must be UTC like 2025-01-20T09:30:00.000000Z")
        }
        let manifest = SignatureManifest(
            target: try value(1, "target"), digest: try value(2, "digest"), meaning: meaning,
            signer: try value(4, "signer"), printedName: try value(5, "printed-name"), signedAtMicros: micros
        )
        guard manifest.text == text else {
            throw DomainError.invalid(field: "manifest", reason: "is not in canonical form (docs/SIGNATURES.md)")
        }
        return manifest
    }

    /// "2025-01-20T09:30:00.123456Z".
    public static func timestamp(_ micros: Int64) -> String {
        let seconds = micros / 1_000_000
        let day = Day(Date(timeIntervalSince1970: TimeInterval(seconds)))
        let second = Int(((seconds % 86_400) + 86_400) % 86_400)
        return day.description + String(format: "T%02d:%02d:%02d.%06dZ", second / 3600, second / 60 % 60, second % 60, Int(micros % 1_000_000))
    }

    static func micros(_ text: String) -> Int64? {
        // yyyy-mm-ddThh:mm:ss.ffffffZ
        let parts = text.split(separator: "T")
        guard parts.count == 2, let day = Day(String(parts[0])), parts[1].count == 16, parts[1].hasSuffix("Z") else { return nil }
        let time = parts[1].dropLast()
        let fields = time.split(whereSeparator: { $0 == ":" || $0 == "." }).map { Int($0) }
        guard fields.count == 4, let hour = fields[0], let minute = fields[1], let second = fields[2], let fraction = fields[3],
              hour < 24, minute < 60, second < 60
        else { return nil }
        let days = Int64(Day(Date(timeIntervalSince1970: 0)).days(until: day))
        return ((days * 86_400 + Int64(hour * 3600 + minute * 60 + second)) * 1_000_000) + Int64(fraction)
    }
}
