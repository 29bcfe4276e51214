import ConformDomain
import EvidenceService
import Testing

/// The one evaluator of evidence rules, without a database: what compliance decides, what an
/// item is admitted with, what it satisfies and who may sign, from the same rule.
@Suite("Evidence rules: one evaluator")
struct RuleEvaluatorTests {
    static let coaRule = EvidenceRule.document(
        type: "certificate-of-analysis", mediaTypes: ["application/pdf"], requiredFields: ["heat-number"], signerRole: "supplier-quality-representative"
    )
    static let record = RecordFacts(number: "B-1", manufactureDate: Day("2025-03-02")!, quantity: 2, fields: [:], serialized: 0, nfcTagged: 0)

    static func coa(id: Int64 = 7, mediaType: String = "application/pdf", fields: [String: String] = ["heat-number": "H-1"]) -> EvidenceFact {
        EvidenceFact(id: id, kind: .document, type: "certificate-of-analysis", mediaType: mediaType, metadata: fields, uploaderCertifications: [])
    }

    static func signature(on item: Int64, roles: [String], valid: Bool = true) -> SignatureFact {
        SignatureFact(
            id: 100 + item, target: "evidence:\(item)", meaning: .approved, signer: "sq", rolesHeld: roles, certificationsHeld: [], isValid: valid
        )
    }

    @Test("an item meets a document rule exactly when compliance counts it: complete, and signed by the role when one is named")
    func meetsAgreesWithCompliance() throws {
        let cases: [(EvidenceFact, [SignatureFact])] = [
            (Self.coa(), []),
            (Self.coa(), [Self.signature(on: 7, roles: ["supplier-quality-representative"])]),
            (Self.coa(), [Self.signature(on: 7, roles: ["supplier-quality-representative"], valid: false)]),
            (Self.coa(), [Self.signature(on: 7, roles: ["operator"])]),
            (Self.coa(mediaType: "image/jpeg"), [Self.signature(on: 7, roles: ["supplier-quality-representative"])]),
            (Self.coa(fields: [:]), [Self.signature(on: 7, roles: ["supplier-quality-representative"])]),
        ]
        for (item, signatures) in cases {
            let meets = try #require(RuleEvaluator.meets(item, Self.coaRule, signatures: signatures))
            let result = try #require(RuleEvaluator.check(Self.coaRule, record: Self.record, items: [item], signatures: signatures, lots: []))
            #expect(meets == result.evidence.contains(item.id), "item \(item) with \(signatures)")
            #expect(meets == result.missing.isEmpty)
        }
        // Only the complete, validly signed one meets it.
        let signed = [Self.signature(on: 7, roles: ["supplier-quality-representative"])]
        #expect(RuleEvaluator.meets(Self.coa(), Self.coaRule, signatures: signed) == true)
        #expect(RuleEvaluator.meets(Self.coa(), Self.coaRule, signatures: []) == false)
        let unsigned = try #require(RuleEvaluator.check(Self.coaRule, record: Self.record, items: [Self.coa()], signatures: [], lots: []))
        #expect(unsigned.missing == ["certificate-of-analysis #7 is not signed by someone holding role supplier-quality-representative"])
    }

    @Test("a rule about other items says nothing of an item")
    func unrelatedRules() {
        let photo = EvidenceFact(id: 1, kind: .photo, type: "ndt", mediaType: "image/jpeg", metadata: [:], uploaderCertifications: [])
        #expect(RuleEvaluator.meets(photo, Self.coaRule, signatures: []) == nil)
        #expect(RuleEvaluator.meets(Self.coa(), .photos(kind: "ndt", minimumCount: 1, certification: nil), signatures: []) == nil)
        #expect(RuleEvaluator.refusal(of: photo, by: Self.coaRule, label: "A/X v1") == nil)
    }

    @Test("a photo counts only when its uploader held the certification the rule names")
    func photosAndCertification() throws {
        let rule = EvidenceRule.photos(kind: "ndt", minimumCount: 2, certification: "level-2")
        let certified = EvidenceFact(id: 1, kind: .photo, type: "ndt", mediaType: "image/jpeg", metadata: [:], uploaderCertifications: ["level-2"])
        let uncertified = EvidenceFact(id: 2, kind: .photo, type: "ndt", mediaType: "image/jpeg", metadata: [:], uploaderCertifications: [])
        #expect(RuleEvaluator.meets(certified, rule, signatures: []) == true)
        #expect(RuleEvaluator.meets(uncertified, rule, signatures: []) == false)
        let result = try #require(RuleEvaluator.check(rule, record: Self.record, items: [certified, uncertified], signatures: [], lots: []))
        #expect(result.missing == ["1 more ndt photo(s) by someone holding level-2 (1 of 2)"])
    }

    @Test("an upload is refused, naming the request field, when a rule of the batch's own customer refuses it, or every rule does")
    func admission() throws {
        let lenient = EvidenceRule.document(type: "certificate-of-analysis", mediaTypes: ["image/jpeg", "application/pdf"], requiredFields: [], signerRole: nil)
        func checklist(_ requirements: [ChecklistRequirement]) -> Checklist {
            Checklist(batch: "B-1", customer: "A", isOpen: true, recordDigest: "d", manufactureDate: Day("2025-03-02")!, requirements: requirements)
        }
        let jpeg = ItemDescription(
            batch: "B-1", kind: .document, type: "certificate-of-analysis", mediaType: "image/jpeg", fileName: "c.jpg",
            metadata: ["heat-number": "H-1"], supersedes: nil, correctionReason: ""
        )
        let strictA = ChecklistRequirement(customer: "A", id: "CSR-A", version: "1.0", isMandatory: true, rules: [Self.coaRule])
        #expect(throws: DomainError.invalid(field: "media_type", reason: "is image/jpeg, but A/CSR-A v1.0 accepts a certificate-of-analysis only as application/pdf")) {
            try ItemRules.check(jpeg, against: checklist([strictA]))
        }
        // Every rule of the batch's own customer must take it, even when another of its rules would.
        let lenientA = ChecklistRequirement(customer: "A", id: "CSR-A2", version: "1.0", isMandatory: true, rules: [lenient])
        #expect(throws: DomainError.self) { try ItemRules.check(jpeg, against: checklist([lenientA, strictA])) }
        // On a consolidated batch another customer's stricter rule refuses nothing by itself: the
        // JPEG is taken, concerns both requirements, and satisfies only the one whose rule it meets.
        let strictD = ChecklistRequirement(customer: "D", id: "CSR-D", version: "2.0", isMandatory: true, rules: [Self.coaRule])
        let consolidated = checklist([lenientA, strictD])
        try ItemRules.check(jpeg, against: consolidated)
        #expect(ItemRules.concerns(jpeg, in: consolidated) == ["A/CSR-A2 v1.0", "D/CSR-D v2.0"])
        #expect(ItemRules.satisfies(jpeg, uploaderCertifications: [], in: consolidated) == ["A/CSR-A2 v1.0"])
        // A complete PDF that still needs its signature concerns A's requirement and does not yet satisfy it.
        var pdf = jpeg
        pdf.mediaType = "application/pdf"
        #expect(ItemRules.satisfies(pdf, uploaderCertifications: [], in: checklist([strictA])).isEmpty)
        #expect(ItemRules.concerns(pdf, in: checklist([strictA])) == ["A/CSR-A v1.0"])
        // One photo does not satisfy by itself a rule that wants two.
        let photo = ItemDescription(batch: "B-1", kind: .photo, type: "ndt", mediaType: "image/jpeg", fileName: "p.jpg", metadata: [:], supersedes: nil, correctionReason: "")
        let twoPhotos = ChecklistRequirement(customer: "A", id: "CSR-NDT", version: "1.0", isMandatory: true, rules: [.photos(kind: "ndt", minimumCount: 2, certification: nil)])
        #expect(ItemRules.satisfies(photo, uploaderCertifications: [], in: checklist([twoPhotos])).isEmpty)
        #expect(ItemRules.concerns(photo, in: checklist([twoPhotos])) == ["A/CSR-NDT v1.0"])
    }

    @Test("who a rule reserves a signature for: by meaning on the record, by signer role on a document")
    func reservations() {
        let single = RuleEvaluator.reservation(.signature(meaning: .approved, role: "inspector", certification: "cqi"), meaning: .approved, documentType: nil)
        #expect(single?.roles == ["inspector"] && single?.certification == "cqi")
        #expect(RuleEvaluator.reservation(.signature(meaning: .approved, role: "inspector", certification: nil), meaning: .reviewed, documentType: nil) == nil)
        let dual = RuleEvaluator.reservation(.dualSignature(meaning: .reviewed, firstRole: "inspector", secondRole: "quality-manager"), meaning: .reviewed, documentType: nil)
        #expect(dual?.roles == ["inspector", "quality-manager"])
        #expect(RuleEvaluator.reservation(Self.coaRule, meaning: .approved, documentType: "certificate-of-analysis")?.roles == ["supplier-quality-representative"])
        #expect(RuleEvaluator.reservation(Self.coaRule, meaning: .approved, documentType: nil) == nil)
    }
}
