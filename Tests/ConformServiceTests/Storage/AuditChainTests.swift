import ConformStorage
import Testing

@Suite("Audit chain (no database)")
struct AuditChainTests {
    func chain(_ count: Int) -> [AuditEntry] {
        var entries: [AuditEntry] = []
        for sequence in 1...Int64(count) {
            let record = AuditRecord(principal: "p\(sequence)", action: "a", outcome: .allowed, requestID: "r\(sequence)")
            let previous = entries.last?.hash ?? AuditChain.genesis
            let hash = AuditChain.hash(sequence: sequence, recordedAtMicros: sequence * 10, record: record, previousHash: previous)
            entries.append(AuditEntry(sequence: sequence, recordedAtMicros: sequence * 10, record: record, previousHash: previous, hash: hash))
        }
        return entries
    }

    func firstProblem(_ entries: [AuditEntry]) -> Int64? {
        var previous: AuditEntry?
        for entry in entries {
            if AuditChain.problem(with: entry, after: previous) != nil { return entry.sequence }
            previous = entry
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
        #expect(self.firstProblem(removed) == 3)

        var swapped = entries
        swapped.swapAt(1, 2)
        #expect(self.firstProblem(swapped) == 3)
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
