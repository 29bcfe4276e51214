import ConformDomain
import EvidenceService
import Testing

/// What a signature may be on, without a database: a lookup reads a target leniently, but
/// what is signed (and stored, and found again by its text) must be spelled canonically.
@Suite("Signature targets: canonical spelling")
struct SignatureTargetTests {
    @Test("canonical batch:, evidence: and lot: targets are accepted as written")
    func canonicalAccepted() throws {
        #expect(try SignatureTarget.canonical("batch:D-2025-0007", field: "manifest.target") == .batch("D-2025-0007"))
        #expect(try SignatureTarget.canonical("batch:D-500", field: "manifest.target") == .batch("D-500"))
        #expect(try SignatureTarget.canonical("evidence:7", field: "manifest.target") == .evidence(7))
        #expect(try SignatureTarget.canonical("evidence:1007", field: "manifest.target") == .evidence(1007))
        #expect(try SignatureTarget.canonical("lot:NC-2025-007", field: "manifest.target") == .lot("NC-2025-007"))
        for text in ["batch:D-2025-0007", "evidence:7", "lot:NC-2025-007"] {
            #expect(try SignatureTarget.canonical(text, field: "manifest.target").text == text)
        }
    }

    @Test("a target spelled otherwise is refused, naming the field and the canonical spelling")
    func nonCanonicalRefused() throws {
        let cases: [(written: String, canonical: String)] = [
            ("batch:d-500", "batch:D-500"),
            ("batch:D-2025-0007 ", "batch:D-2025-0007"),
            ("batch: D-500", "batch:D-500"),
            ("evidence:007", "evidence:7"),
            ("evidence:+7", "evidence:7"),
            ("lot:nc-2025-007", "lot:NC-2025-007"),
            ("lot:Nc-2025-007", "lot:NC-2025-007"),
        ]
        for (written, canonical) in cases {
            #expect(throws: DomainError.invalid(field: "manifest.target", reason: "'\(written)' is not canonical: write it '\(canonical)'")) {
                try SignatureTarget.canonical(written, field: "manifest.target")
            }
            // A lookup still finds the record it means.
            #expect(try SignatureTarget(written).text == canonical)
        }
    }

    @Test("what is no target at all is refused as before, naming the field")
    func malformedRefused() {
        for text in ["Batch:D-500", "batch:", "evidence:0", "evidence:-7", "evidence:x", "lot:", "receipt:NC-1", ""] {
            #expect(throws: DomainError.invalid(field: "manifest.target", reason: "'\(text)' must be batch:NUMBER, evidence:ID or lot:LOT")) {
                try SignatureTarget.canonical(text, field: "manifest.target")
            }
        }
    }
}
