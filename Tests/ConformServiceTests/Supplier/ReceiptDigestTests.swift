import ConformDomain
import Foundation
import SupplierService
import Testing

/// The canonical bytes of a receipt, `conform-receipt/1`, that a `lot:LOT` approval binds,
/// pinned to the worked example of docs/SIGNATURES.md, without a database.
@Suite("Receipt text: the bytes an exception's approval binds")
struct ReceiptDigestTests {
    /// Lot NC-2025-007 of the demo (dev/demo.sh): NEW-CO is not on the ASL and never audited,
    /// so the gate blocks it; the operator requests an exception.
    static func example() throws -> Receipt {
        let day = try Day.parse("2025-03-04", field: "received_on")
        let gate = ReceivingGate.verdict(
            supplier: "NEW-CO", material: "6061-T6 bar", on: day, entry: nil, audits: [], maxAuditAgeDays: ReceivingGate.defaultMaxAuditAgeDays
        )
        let receipt = Receipt(
            lot: "NC-2025-007", supplier: "NEW-CO", material: "6061-T6 bar", quantity: "800 kg", receivedOn: day, coaEvidence: nil,
            verdict: gate.verdict, reasons: gate.reasons, receivedBy: "operator", lastAudit: gate.lastAudit
        )
        return try ExceptionRules.request(
            receipt, justification: "Only 6061-T6 stock for the D prototype order; CoA and incoming tensile test IT-2025-77 passed.", by: "operator"
        )
    }

    @Test("the demo's blocked lot with its exception is exactly the doc's 357 bytes and digest sha256:406f460a…97bc")
    func workedExample() throws {
        let receipt = try Self.example()
        let expected = """
            conform-receipt/1
            lot: NC-2025-007
            supplier: NEW-CO
            material: 6061-T6 bar
            quantity: 800 kg
            received-on: 2025-03-04
            verdict: blocked
            reason: Supplier NEW-CO is not on the Approved Supplier List
            reason: Supplier NEW-CO has no passed audit on record
            justification: Only 6061-T6 stock for the D prototype order; CoA and incoming tensile test IT-2025-77 passed.

            """
        #expect(receipt.canonicalText == expected)
        #expect(Array(receipt.canonicalText.utf8) == Array(expected.utf8))
        #expect(receipt.canonicalText.utf8.count == 357)
        #expect(receipt.digest == "sha256:406f460a5c431e0e55a8107f57d70a04bb1075d66c38a9594f8ba78f918f97bc")
    }

    @Test("the digest is the same before and after the approval, and without a justification the line keeps its trailing space")
    func approvalAndEmptyJustification() throws {
        let requested = try Self.example()
        let approved = ExceptionRules.approved(requested, manifest: "m", signature: Data([1, 2, 3]), signatureID: 9, by: "quality-manager")
        #expect(approved.digest == requested.digest)

        var unrequested = requested
        unrequested.exception = ExceptionState.none
        unrequested.justification = ""
        unrequested.requestedBy = ""
        #expect(unrequested.canonicalText.hasSuffix("reason: Supplier NEW-CO has no passed audit on record\njustification: \n"))
        #expect(unrequested.digest != requested.digest)
    }
}
