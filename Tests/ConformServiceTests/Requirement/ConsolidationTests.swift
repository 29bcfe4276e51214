import ConformDomain
import RequirementService
import Testing

@Suite("Consolidation: the most stringent rule wins (no database)")
struct ConsolidationTests {
    @Test("each kind merges as documented, and every merged rule names its sources")
    func merging() {
        let merged = Consolidation.merge([
            ("A/1", .mandatory, .photos(kind: "ndt", minimumCount: 4, certification: nil)),
            ("D/1", .preferred, .photos(kind: "ndt", minimumCount: 6, certification: nil)),
            ("A/1", .mandatory, .approvedSupplier(maxAuditAgeDays: 365)),
            ("D/1", .mandatory, .approvedSupplier(maxAuditAgeDays: 180)),
            ("A/2", .mandatory, .document(type: "certificate-of-analysis", mediaTypes: ["application/pdf", "image/tiff"], requiredFields: ["grade", "tensile"], signerRole: nil)),
            ("D/1", .mandatory, .document(type: "certificate-of-analysis", mediaTypes: ["application/pdf"], requiredFields: ["tensile", "chemistry"], signerRole: "quality")),
            ("B/1", .mandatory, .serialization(methods: [.qr])),
            ("A/3", .preferred, .serialization(methods: [.nfc])),
            ("B/1", .mandatory, .recordFields([RecordField(name: "lot", type: .text)])),
            ("D/2", .mandatory, .recordFields([RecordField(name: "lot", type: .text), RecordField(name: "cure-date", type: .date)])),
            ("D/2", .mandatory, .part11Controls(lockOnCompletion: true, auditAccess: false)),
            ("A/4", .mandatory, .part11Controls(lockOnCompletion: false, auditAccess: true)),
            ("A/5", .mandatory, .signature(meaning: .approved, role: "inspector", certification: nil)),
            ("D/3", .mandatory, .signature(meaning: .approved, role: nil, certification: "certified-quality-inspector")),
        ])
        #expect(merged.map(\.rule) == [
            .photos(kind: "ndt", minimumCount: 6, certification: nil),
            .approvedSupplier(maxAuditAgeDays: 180),
            .document(type: "certificate-of-analysis", mediaTypes: ["application/pdf"], requiredFields: ["grade", "tensile", "chemistry"], signerRole: "quality"),
            .serialization(methods: [.qr, .nfc]),
            .recordFields([RecordField(name: "lot", type: .text), RecordField(name: "cure-date", type: .date)]),
            .part11Controls(lockOnCompletion: true, auditAccess: true),
            .signature(meaning: .approved, role: "inspector", certification: nil),
            .signature(meaning: .approved, role: nil, certification: "certified-quality-inspector"),
        ])
        #expect(merged[0].sources == ["A/1", "D/1"])
        #expect(merged[0].strength == .mandatory)
        #expect(merged[3].strength == .mandatory)
    }

    @Test("rules that cannot be said as one stay apart: no shared media type, a field with two types, other certifications")
    func conflictsStayApart() {
        let merged = Consolidation.merge([
            ("A/1", .mandatory, .document(type: "coa", mediaTypes: ["application/pdf"], requiredFields: [], signerRole: nil)),
            ("B/1", .mandatory, .document(type: "coa", mediaTypes: ["image/tiff"], requiredFields: [], signerRole: nil)),
            ("A/1", .mandatory, .recordFields([RecordField(name: "lot", type: .text)])),
            ("B/1", .mandatory, .recordFields([RecordField(name: "lot", type: .number)])),
            ("A/1", .mandatory, .photos(kind: "ndt", minimumCount: 2, certification: "ndt-level-2")),
            ("B/1", .mandatory, .photos(kind: "ndt", minimumCount: 3, certification: "ndt-level-3")),
            ("A/1", .preferred, .periodicExport(format: .xml, cadence: .monthly, destination: "a")),
            ("B/1", .preferred, .periodicExport(format: .xml, cadence: .monthly, destination: "a")),
        ])
        #expect(merged.count == 7)
        #expect(merged.last?.sources == ["A/1", "B/1"])
        #expect(merged.last?.strength == .preferred)
    }
}
