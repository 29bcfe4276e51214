import ConformStorage
import Testing

@Suite("Audit chain (no database)")
struct AuditChainTests {
    struct Sealed {
        var sequence: Int64
        var recordedAtMicros: Int64
        var record: AuditRecord
        var seal: AuditSeal
    }

    func chain(_ count: Int) -> [Sealed] {
        var entries: [Sealed] = []
        for sequence in 1...Int64(count) {
            let record = AuditRecord(principal: "p\(sequence)", action: "a", outcome: .allowed, requestID: "r\(sequence)")
            let previous = entries.last?.seal.hash ?? AuditChain.genesis
            let hash = AuditChain.hash(sequence: sequence, recordedAtMicros: sequence * 10, record: record, previousHash: previous)
            let seal = AuditSeal(sequence: sequence, sealedAtMicros: sequence * 10 + 1, previousHash: previous, hash: hash)
            entries.append(Sealed(sequence: sequence, recordedAtMicros: sequence * 10, record: record, seal: seal))
        }
        return entries
    }

    /// The position at which the chain first fails, reading the entries in the order given
    /// as positions 1, 2, 3, ...
    func firstProblem(_ entries: [Sealed]) -> Int64? {
        var previousHash = AuditChain.genesis
        for (index, entry) in entries.enumerated() {
            let position = Int64(index + 1)
            if AuditChain.problem(sequence: position, recordedAtMicros: entry.recordedAtMicros, record: entry.record, seal: entry.seal, previousHash: previousHash) != nil {
                return position
            }
            previousHash = entry.seal.hash
        }
        return nil
    }

    @Test("an untouched chain holds; any change, removal or reordering breaks it where it happened")
    func detection() {
        let entries = self.chain(5)
        #expect(self.firstProblem(entries) == nil)

        var changed = entries
        changed[2].record.detail = "{\"reason\":\"rewritten\"}"
        #expect(self.firstProblem(changed) == 3)

        var removed = entries
        removed.remove(at: 1)
        #expect(self.firstProblem(removed) == 2)

        var swapped = entries
        swapped.swapAt(1, 2)
        #expect(self.firstProblem(swapped) == 2)
    }

    @Test("a hash is the SHA-256 of the length-prefixed fields, in lowercase hex, as entries already sealed were hashed")
    func knownHash() {
        let record = AuditRecord(principal: "qe", action: "a/B", outcome: .write, object: "customer:A", detail: "{}", requestID: "r-1")
        // Computed independently (Python: hashlib.sha256 over 8-byte big-endian lengths and fields).
        #expect(
            AuditChain.hash(sequence: 1, recordedAtMicros: 1_700_000_000_000_000, record: record, previousHash: AuditChain.genesis)
                == "5e0d06332045906a97b17951301b8ac19b0afade58c4c0cbf24abc918f55a606"
        )
    }

    @Test("fields are length-prefixed: moving text between fields changes the hash")
    func unambiguous() {
        let one = AuditRecord(principal: "ab", action: "c", outcome: .write, requestID: "r")
        let two = AuditRecord(principal: "a", action: "bc", outcome: .write, requestID: "r")
        #expect(
            AuditChain.hash(sequence: 1, recordedAtMicros: 1, record: one, previousHash: AuditChain.genesis)
                != AuditChain.hash(sequence: 1, recordedAtMicros: 1, record: two, previousHash: AuditChain.genesis)
        )
    }
}
