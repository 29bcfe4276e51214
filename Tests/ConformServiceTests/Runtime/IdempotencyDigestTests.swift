import ConformProtos
@testable import ConformService
import Testing

@Suite("An idempotency key's request fingerprint (no database)")
struct IdempotencyDigestTests {
    @Test("a request with a map has one fingerprint however its map was built, so a retry to another replica matches")
    func mapOrderDoesNotMatter() throws {
        let names = (0..<40).map { "field-\($0)" }
        var forwards = Conform_Batch_V1_RecordFieldsRequest()
        forwards.number = "B-1"
        for name in names { forwards.values[name] = "v-\(name)" }
        var backwards = Conform_Batch_V1_RecordFieldsRequest()
        backwards.number = "B-1"
        backwards.values.reserveCapacity(4096)
        for name in names.reversed() { backwards.values[name] = "v-\(name)" }
        #expect(forwards == backwards)
        #expect(try Writes.requestDigest(forwards) == Writes.requestDigest(backwards))
        var other = forwards
        other.values["field-0"] = "changed"
        #expect(try Writes.requestDigest(other) != Writes.requestDigest(forwards))
    }
}
