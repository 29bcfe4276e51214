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
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// Whether `entry` holds on its own and follows `previous` (nil for the first entry).
    /// Returns the reason it does not, or nil when it does.
    public static func problem(with entry: AuditEntry, after previous: AuditEntry?) -> String? {
        let expectedSequence = (previous?.sequence ?? 0) + 1
        if entry.sequence != expectedSequence {
            return entry.sequence > expectedSequence
                ? "entries \(expectedSequence) to \(entry.sequence - 1) are missing"
                : "sequence \(entry.sequence) is out of order after \(expectedSequence - 1)"
        }
        if entry.previousHash != (previous?.hash ?? Self.genesis) {
            return "its link to entry \(expectedSequence - 1) does not match that entry's hash"
        }
        let recomputed = Self.hash(
            sequence: entry.sequence,
            recordedAtMicros: entry.recordedAtMicros,
            record: entry.record,
            previousHash: entry.previousHash
        )
        if entry.hash != recomputed {
            return "its content does not match its stored hash: it was changed after it was written"
        }
        return nil
    }
}
