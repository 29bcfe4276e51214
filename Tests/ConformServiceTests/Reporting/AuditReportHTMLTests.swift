import ConformDomain
import ReportingService
import Testing

@Suite("Audit report HTML")
struct AuditReportHTMLTests {
    /// 2026-10-05 08:30:00 UTC.
    static let uploadedAt: Int64 = 1_791_189_000_000_000
    /// 2026-10-06 14:05:09.5 UTC: the half second must be cut, not rounded.
    static let signedAt: Int64 = 1_791_295_509_500_000
    /// 2026-12-31 23:59:59.999999 UTC.
    static let generatedAt: Int64 = 1_798_761_599_999_999

    static let certificateHash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
    static let photoHash = "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"
    static let correctedHash = "fcde2b2edba56bf408601fb721fe9b5c338d10ee429ea04fae5511b68fbf8fb9"

    static func item(
        id: Int64, batch: String, fileName: String, sha256: String, supersededBy: Int64 = 0,
        signatures: [SignatureManifestation] = []
    ) -> ArchivedItem {
        ArchivedItem(
            id: id, batch: batch, type: "certificate-of-analysis", fileName: fileName, mediaType: "application/pdf",
            sha256: sha256, size: 1_024, uploadedBy: "operator", uploadedAtMicros: uploadedAt,
            satisfies: ["A/CSR-A-0201 v1.0"], supersededBy: supersededBy, signatures: signatures
        )
    }

    static let signatures = [
        SignatureManifestation(printedName: "Ann O'Neil", signer: "qa-anne", signedAtMicros: signedAt, meaning: "approved"),
        SignatureManifestation(printedName: "Bob Smith", signer: "bob", signedAtMicros: signedAt, meaning: "reviewed"),
    ]
    static let certificate = item(id: 1, batch: "B-1", fileName: "coa.pdf", sha256: certificateHash, signatures: signatures)
    static let photo = item(id: 2, batch: "B-2", fileName: "evil<script>&\".pdf", sha256: photoHash, supersededBy: 3)
    static let corrected = item(id: 3, batch: "B-2", fileName: "photo.jpg", sha256: correctedHash)
    static let archive = [certificate, photo, corrected]

    /// The report's document with its archive streamed in, as the service sends it.
    static func render(_ report: AuditReport = AuditReportHTMLTests.report(), archive: [ArchivedItem] = AuditReportHTMLTests.archive) -> String {
        AuditReportHTML.render(report, archive: archive)
    }

    static func report() -> AuditReport {
        AuditReport(
            customer: "A", requirementIDs: ["CSR-A-0201"], from: Day("2026-10-01")!, to: Day("2026-12-31")!,
            generatedBy: "auditor", generatedAtMicros: generatedAt,
            batches: [
                ReportedBatch(number: "B-1", product: "ABC", manufactureDate: Day("2026-10-01")!, status: "released", outcome: .compliant, reasons: []),
                ReportedBatch(
                    number: "B-2", product: "ABC", manufactureDate: Day("2026-10-02")!, status: "open", outcome: .nonCompliant,
                    reasons: ["CSR-A-0201: missing certificate-of-analysis"]
                ),
                ReportedBatch(number: "B-3", product: "XYZ", manufactureDate: Day("2026-10-06")!, status: "released", outcome: .compliant, reasons: []),
                ReportedBatch(number: "B-4", product: "XYZ", manufactureDate: Day("2026-10-07")!, status: "open", outcome: .pending, reasons: []),
            ],
            seed: 424_242, sample: [certificate, photo], archiveCount: archive.count,
            overTime: [
                CompliancePoint(weekStarting: Day("2026-10-01")!, batches: 2, compliant: 1),
                CompliancePoint(weekStarting: Day("2026-10-05")!, batches: 2, compliant: 1),
                CompliancePoint(weekStarting: Day("2026-10-12")!, batches: 0, compliant: 0),
            ]
        )
    }

    @Test("text from the report is escaped: a file name cannot inject markup")
    func escapesText() {
        let html = Self.render()
        #expect(!html.contains("<script"))
        #expect(html.contains("evil&lt;script&gt;&amp;&quot;.pdf"))
        #expect(html.contains("Ann O&#39;Neil"))
    }

    @Test("a complete, self-contained document without scripts or external resources")
    func selfContained() {
        let html = Self.render()
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.contains("<html lang=\"en\">"))
        #expect(html.contains("<meta charset=\"utf-8\">"))
        #expect(html.contains("<title>Audit evidence report — customer A</title>"))
        #expect(!html.contains("src="))
        #expect(!html.contains("url("))
        #expect(!html.contains("<link"))
        #expect(!html.contains("<img"))
    }

    @Test("every archived item's SHA-256 and every signature's name, signer and meaning are shown")
    func itemsAndSignatures() {
        let html = Self.render()
        for hash in [Self.certificateHash, Self.photoHash, Self.correctedHash] {
            #expect(html.contains(hash))
        }
        #expect(html.contains("Ann O&#39;Neil (qa-anne) — approved — "))
        #expect(html.contains("Bob Smith (bob) — reviewed — "))
        #expect(html.contains("superseded by #3"))
    }

    @Test("timestamps are UTC, to the second, truncated")
    func timestamps() {
        let html = Self.render()
        #expect(html.contains("2026-10-05 08:30:00 UTC"))
        #expect(html.contains("2026-10-06 14:05:09 UTC"))
        #expect(html.contains("2026-12-31 23:59:59 UTC"))
    }

    @Test("the summary shows the counts, the percentage with one decimal and the seed to reproduce the sample")
    func summary() {
        let html = Self.render()
        #expect(html.contains("66.7 %"))
        #expect(html.contains("424242"))
        #expect(html.contains("The sample is reproducible: ask for the same period with seed 424242"))
        #expect(html.contains("CSR-A-0201: missing certificate-of-analysis"))
        #expect(html.contains("Not yet evaluated (1): B-4"))
    }

    @Test("compliance over time is an inline SVG chart with a hover title per week")
    func chart() {
        let html = Self.render()
        #expect(html.contains("<svg"))
        #expect(html.contains("100 %"))
        #expect(html.contains("<title>Week of 2026-10-05: 1 of 2 batches compliant (50.0 %)</title>"))
        #expect(!html.contains("Week of 2026-10-12:"))
    }

    @Test("an empty report renders and says no batches were made")
    func empty() {
        let report = AuditReport(
            customer: "A", requirementIDs: [], from: Day("2026-10-01")!, to: Day("2026-10-31")!,
            generatedBy: "auditor", generatedAtMicros: 0, batches: [], seed: 7, sample: [], archiveCount: 0, overTime: []
        )
        let html = Self.render(report, archive: [])
        #expect(html.contains("No batches were made in this period."))
        #expect(html.contains("all of the customer's requirements"))
        #expect(html.contains("1970-01-01 00:00:00 UTC"))
        #expect(!html.contains("<svg"))
        #expect(html.hasSuffix("</html>\n"))
    }

    @Test("an archive of 15,000 items renders every row")
    func largeArchive() {
        var report = Self.report()
        let archive = (1...15_000).map { index in
            Self.item(id: Int64(index), batch: "B-\(index % 50)", fileName: "file-\(index).pdf", sha256: "hash-\(index)-end")
        }
        report.archiveCount = archive.count
        let html = Self.render(report, archive: archive)
        #expect(html.contains("Complete archive (15000 items)"))
        #expect(html.contains(">hash-1-end<"))
        #expect(html.contains(">hash-15000-end<"))
    }
}
