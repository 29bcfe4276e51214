import BatchService
import ConformDomain
import Testing

/// The canonical bytes of a batch record, `conform-batch-record/1`, pinned to the worked
/// examples of docs/SIGNATURES.md ("Recomputing a batch record's digest"), without a database.
@Suite("Batch record text: the bytes a signature binds")
struct RecordTextTests {
    /// The doc's example, built the way the service builds it: validated, fields checked
    /// against the requirements, serials made, an NFC tag written, a received lot consumed.
    static func example() throws -> Batch {
        let new = try BatchRules.newBatch(
            number: "D-2025-0007", product: "ABC", customer: "D", orderReference: "PO-D-5531", manufactureDate: "2025-03-10", quantity: 2
        )
        let requirement = SnapshotRequirement(
            customer: "D", id: "CSR-D-RECORD", isMandatory: true, version: "1.0", title: "Record and serialize",
            rules: [
                .recordFields([RecordField(name: "torque-nm", type: .number), RecordField(name: "inspection-result", type: .text)]),
                .serialization(methods: [.qr, .nfc]),
            ]
        )
        var batch = Batch(
            number: new.number, product: new.product, customer: new.customer, orderReference: new.order, manufactureDate: new.date,
            quantity: new.quantity, consolidated: false, requirements: [requirement]
        )
        batch.fields = try BatchRules.fieldValues(["torque-nm": "12.5", "inspection-result": "pass"], for: batch)
        // Listed in reverse: the text sorts serials itself.
        batch.serials = try BatchRules.serials(for: batch, traceBaseURL: "https://trace.conform.example/units").reversed()
        let tags = try BatchRules.nfcTags(["D-2025-0007-00001": "04:a2:24:b2:c3:5e:80"], for: batch)
        batch.serials = batch.serials.map { serial in
            var tagged = serial
            tagged.nfcTag = tags[serial.serial]
            return tagged
        }
        batch.lots = try BatchRules.lots(["nc-2025-007"], for: batch, received: ["NC-2025-007"])
        return batch
    }

    @Test("the worked example is exactly the doc's 372 bytes and digest sha256:baace4be…7e3f")
    func workedExample() throws {
        let batch = try Self.example()
        let expected = """
            conform-batch-record/1
            number: D-2025-0007
            product: ABC
            customer: D
            order: PO-D-5531
            manufacture-date: 2025-03-10
            quantity: 2
            field inspection-result: pass
            field torque-nm: 12.5
            serial D-2025-0007-00001: https://trace.conform.example/units/D-2025-0007-00001 04A224B2C35E80
            serial D-2025-0007-00002: https://trace.conform.example/units/D-2025-0007-00002 -
            lot: NC-2025-007

            """
        let text = BatchRules.recordText(batch)
        #expect(text == expected)
        #expect(Array(text.utf8) == Array(expected.utf8))
        #expect(text.utf8.count == 372)
        #expect(!text.utf8.contains(UInt8(ascii: "\r")))
        #expect(BatchRules.recordDigest(batch) == "sha256:baace4be8df247c8129ddca55e05192edaeb99ddb50f671c838df40d7f4a7e3f")
    }

    @Test("the smallest record: no order (the line keeps its trailing space), nothing recorded")
    func smallestRecord() throws {
        let new = try BatchRules.newBatch(number: "b-1", product: "p", customer: "a", orderReference: "", manufactureDate: "2025-01-01", quantity: 1)
        let batch = Batch(
            number: new.number, product: new.product, customer: new.customer, orderReference: new.order, manufactureDate: new.date,
            quantity: new.quantity, consolidated: false, requirements: []
        )
        let text = BatchRules.recordText(batch)
        #expect(text == "conform-batch-record/1\nnumber: B-1\nproduct: P\ncustomer: A\norder: \nmanufacture-date: 2025-01-01\nquantity: 1\n")
        #expect(text.utf8.count == 107)
        #expect(BatchRules.recordDigest(batch) == "sha256:69c7b007d3340c1d19b3558d3bf1cbf43823429ab8b641848d9b366d547f65c5")
    }
}
