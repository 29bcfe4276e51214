import Crypto
import Foundation

/// The hash chain of an audit trail: each entry's hash covers its content and the hash of
/// the entry before it, so changing, inserting or removing any entry breaks every later link.
public enum AuditChain {
    /// The `previousHash` of the first entry.
    public static let genesis = String(repeating: "0", count: 64)

    /// The SHA-256 (hex) of an entry's content chained to `previousHash`.
    ///
    /// Each field is length-prefixed, so no two different entries share an encoding.
    public static func hash(
        sequence: Int64,
        recordedAtMicros: Int64,
        record: AuditRecord,
        previousHash: String
    ) -> String {
        var hasher = SHA256()
        for field in [
            previousHash, String(sequence), String(recordedAtMicros), record.principal, record.action,
            record.outcome.rawValue, record.object, record.detail, record.requestID,
        ] {
            let bytes = Array(field.utf8)
            withUnsafeBytes(of: UInt64(bytes.count).bigEndian) { hasher.update(bufferPointer: $0) }
            hasher.update(data: bytes)
        }
        return Self.hex(hasher.finalize())
    }

    private static let digits = Array("0123456789abcdef".utf8)

    /// Lowercase hex, without Foundation's formatter: the sealer hashes every entry, and
    /// `String(format:)` per byte cost it more than the hashing.
    static func hex<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String {
        var text: [UInt8] = []
        text.reserveCapacity(64)
        for byte in bytes {
            text.append(Self.digits[Int(byte >> 4)])
            text.append(Self.digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// Whether the sealed entry at `sequence` holds: its link to the hash before it and its
    /// hash over its content. Returns the reason it does not, or nil when it does.
    public static func problem(sequence: Int64, recordedAtMicros: Int64, record: AuditRecord, seal: AuditSeal, previousHash: String) -> String? {
        if seal.previousHash != previousHash {
            return "its link to entry \(sequence - 1) does not match that entry's hash"
        }
        let recomputed = Self.hash(sequence: sequence, recordedAtMicros: recordedAtMicros, record: record, previousHash: seal.previousHash)
        if seal.hash != recomputed {
            return "its content does not match its sealed hash: it was changed after it was written"
        }
        return nil
    }
}
