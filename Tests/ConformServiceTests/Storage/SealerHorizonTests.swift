@testable import ConformStorage
import Testing

@Suite("Sealer horizon (no database)")
struct SealerHorizonTests {
    static func entries(txids: [Int64]) -> [Sealer.Committed] {
        txids.enumerated().map { index, txid in
            Sealer.Committed(
                entryID: Int64(index + 1), txid: txid, recordedAtMicros: 0,
                record: AuditRecord(principal: "p", action: "a", outcome: .allowed, detail: "{}", requestID: "r")
            )
        }
    }

    @Test("a round that found less than a batch moves the horizon to the cluster's")
    func caughtUp() {
        let below = Sealer.sealedBelow(after: Self.entries(txids: [100, 101]), batchSize: 3, horizon: 150, previous: 90)
        #expect(below == 150)
    }

    @Test("a round with more waiting moves the horizon to its last entry's transaction, so a backlog is not searched again")
    func behind() {
        let below = Sealer.sealedBelow(after: Self.entries(txids: [100, 105, 120]), batchSize: 3, horizon: 150, previous: 90)
        // Entries of transaction 120 may remain: the next round starts there, not at 90.
        #expect(below == 120)
    }

    @Test("the horizon never passes a transaction that may still commit, nor moves back")
    func bounded() {
        let full = Self.entries(txids: [100, 105, 200])
        #expect(Sealer.sealedBelow(after: full, batchSize: 3, horizon: 150, previous: 90) == 150)
        #expect(Sealer.sealedBelow(after: full, batchSize: 3, horizon: 80, previous: 90) == 90)
        #expect(Sealer.sealedBelow(after: [], batchSize: 3, horizon: 80, previous: 90) == 90)
    }
}
