import ConformDomain
import Foundation
import ReportingService
import Testing

@Suite("Customer export XML")
struct ExportXMLTests {
    static let definition = ExportDefinition(
        customer: "B", name: "monthly-lots", version: 2, schedule: .monthly, rootElement: "LotReport", recordElement: "Lot",
        fields: [
            ExportField(element: "LotNo", source: .batchNumber),
            ExportField(element: "Part", source: .product),
            ExportField(element: "Made", source: .manufactureDate),
            ExportField(element: "Status", source: .status),
            ExportField(element: "OK", source: .compliant),
            ExportField(element: "Gaps", source: .missing),
            ExportField(element: "Evidence", source: .evidenceCount),
            ExportField(element: "Customer", source: .customer),
        ]
    )
    static let period = ExportPeriod("2026-10")!
    static let batches = [
        ExportXMLTests.batch("L-1", product: "ABC-1"),
        ExportXMLTests.batch("L-2", product: "XYZ-2", missing: ["CSR-B-0892: missing xml-export", "CSR-B-0007: missing coc"]),
        ExportXMLTests.batch("L-3", product: "ABC-1"),
    ]

    static func batch(_ number: String, product: String, missing: [String] = []) -> ExportedBatch {
        ExportedBatch(
            number: number, product: product, manufactureDate: Day("2026-10-05")!, status: "released",
            compliant: missing.isEmpty, missing: missing, evidenceCount: 3
        )
    }

    static func render(_ batches: [ExportedBatch] = ExportXMLTests.batches) -> String {
        ExportXML.render(Self.definition, period: Self.period, batches: batches)
    }

    /// The message of the failedPrecondition `body` throws; nil when it throws nothing.
    static func rejection(_ body: () throws -> Void) -> String? {
        do {
            try body()
            return nil
        } catch DomainError.failedPrecondition(let message) {
            return message
        } catch {
            return "unexpected error: \(error)"
        }
    }

    /// Why `document` fails validation against the suite's definition, period and `records`.
    static func rejection(of document: String, records: Int = 3) -> String? {
        Self.rejection { try ExportXML.validate(document, against: Self.definition, period: Self.period, expectedRecords: records) }
    }

    /// The field an invalid definition is rejected for; nil when it is accepted.
    static func invalidField(_ definition: ExportDefinition) -> String? {
        do {
            try ExportRules.check(definition)
            return nil
        } catch DomainError.invalid(let field, _) {
            return field
        } catch {
            return "unexpected error: \(error)"
        }
    }

    @Test("a rendered export validates: root and its attributes, one record per batch, every field in order")
    func renderThenValidate() throws {
        try ExportRules.check(Self.definition)
        let document = Self.render()
        try ExportXML.validate(document, against: Self.definition, period: Self.period, expectedRecords: 3)
        #expect(document.hasPrefix("""
            <?xml version="1.0" encoding="UTF-8"?>
            <LotReport customer="B" period="2026-10" definition="monthly-lots" definitionVersion="2" records="3">
              <Lot>
                <LotNo>L-1</LotNo>
                <Part>ABC-1</Part>
                <Made>2026-10-05</Made>
                <Status>released</Status>
                <OK>true</OK>
                <Gaps></Gaps>
                <Evidence>3</Evidence>
                <Customer>B</Customer>
              </Lot>

            """))
        #expect(document.contains("<OK>false</OK>\n    <Gaps>CSR-B-0892: missing xml-export; CSR-B-0007: missing coc</Gaps>"))
        #expect(document.hasSuffix("  </Lot>\n</LotReport>\n"))

        let empty = Self.render([])
        #expect(empty.hasSuffix("records=\"0\">\n</LotReport>\n"))
        try ExportXML.validate(empty, against: Self.definition, period: Self.period, expectedRecords: 0)
    }

    @Test("rendering the same period twice gives the same text")
    func deterministic() {
        #expect(Self.render() == Self.render())
        #expect(Self.render() != Self.render(Array(Self.batches.dropLast())))
    }

    @Test("markup characters in values are escaped and read back; characters XML cannot carry are dropped")
    func escaping() throws {
        var definition = Self.definition
        definition.customer = "B&Co"
        let batches = [Self.batch("L-\u{7}9", product: #"Tom & "Jerry's" <b>"#)]
        let document = ExportXML.render(definition, period: Self.period, batches: batches)
        #expect(document.contains("<Part>Tom &amp; &quot;Jerry&apos;s&quot; &lt;b&gt;</Part>"))
        #expect(document.contains("customer=\"B&amp;Co\""))
        #expect(document.contains("<LotNo>L-9</LotNo>"))
        // The attribute is compared after decoding, so the escaped customer still matches the definition.
        try ExportXML.validate(document, against: definition, period: Self.period, expectedRecords: 1)
    }

    @Test("comments, CDATA, single-quoted attributes and empty-element tags are XML like any other")
    func acceptedSyntax() throws {
        var document = Self.render()
        document = document.replacingOccurrences(of: "<LotNo>L-1</LotNo>", with: "<!-- first --><LotNo><![CDATA[L-1]]></LotNo>")
        document = document.replacingOccurrences(of: "<Gaps></Gaps>", with: "<Gaps/>")
        document = document.replacingOccurrences(of: "customer=\"B\"", with: "customer='B'")
        try ExportXML.validate(document, against: Self.definition, period: Self.period, expectedRecords: 3)
    }

    @Test("a record that lacks a field, or holds one twice or out of order, is named with the field")
    func recordStructure() {
        let document = Self.render()
        #expect(Self.rejection(of: document.replacingOccurrences(of: "    <Part>XYZ-2</Part>\n", with: "")) == "record 2 lacks <Part>")
        #expect(Self.rejection(of: document.replacingOccurrences(of: "    <Customer>B</Customer>\n  </Lot>\n</LotReport>", with: "  </Lot>\n</LotReport>"))
            == "record 3 lacks <Customer>")
        #expect(Self.rejection(of: document.replacingOccurrences(of: "<Part>XYZ-2</Part>", with: "<Part>XYZ-2</Part><Part>XYZ-2</Part>"))
            == "record 2 has <Part> twice")
        #expect(Self.rejection(of: document.replacingOccurrences(of: "<LotNo>L-1</LotNo>\n    <Part>ABC-1</Part>", with: "<Part>ABC-1</Part>\n    <LotNo>L-1</LotNo>"))
            == "record 1 has <Part> before <LotNo>; fields follow the order of the definition")
        #expect(Self.rejection(of: document.replacingOccurrences(of: "<Part>XYZ-2</Part>", with: "<Part>XYZ-2</Part><Note>x</Note>"))
            == "record 2 holds <Note>, which is not a field of this export")
        #expect(Self.rejection(of: document.replacingOccurrences(of: "<Lot>\n    <LotNo>L-2", with: "<Lot>\n    stray <LotNo>L-2"))?.contains("record 2 holds text") == true)
    }

    @Test("a wrong root, wrong attributes or a wrong record count is rejected")
    func documentStructure() {
        let document = Self.render()
        var otherRoot = Self.definition
        otherRoot.rootElement = "Lots"
        let wrongRoot = Self.rejection { try ExportXML.validate(document, against: otherRoot, period: Self.period, expectedRecords: 3) }
        #expect(wrongRoot?.contains("the root element is <LotReport>") == true, "\(wrongRoot ?? "accepted")")

        let wrongPeriod = Self.rejection {
            try ExportXML.validate(document, against: Self.definition, period: Self.period.next, expectedRecords: 3)
        }
        #expect(wrongPeriod == "<LotReport> has period=\"2026-10\" where \"2026-11\" is expected")

        #expect(Self.rejection(of: document, records: 2) == "the document holds 3 <Lot> records; 2 are expected")
        #expect(Self.rejection(of: document.replacingOccurrences(of: " records=\"3\"", with: " records=\"4\""))
            == "<LotReport> has records=\"4\" where \"3\" is expected")
        #expect(Self.rejection(of: document.replacingOccurrences(of: " definitionVersion=\"2\"", with: ""))
            == "<LotReport> lacks the attribute definitionVersion=\"2\"")
    }

    @Test("text that is not well-formed XML is rejected, saying what is wrong")
    func malformed() {
        let document = Self.render()
        let cases: [(document: String, complaint: String)] = [
            (document.replacingOccurrences(of: "</Part>", with: "</Prt>"), "</Prt> where </Part> is expected"),
            (Self.render([Self.batch("L-1", product: "AT&T")]).replacingOccurrences(of: "AT&amp;T", with: "AT&T"), "a bare '&'"),
            (document.replacingOccurrences(of: "<Part>ABC-1</Part>", with: "<Part>A < B</Part>"), "a bare '<'"),
            (document.replacingOccurrences(of: "<LotNo>L-1</LotNo>", with: "<LotNo>L&nbsp;1</LotNo>"), "&nbsp; is not defined"),
            (document.replacingOccurrences(of: "period=\"2026-10\"", with: "period=\"2026-10\" period=\"2026-10\""), "attribute period twice"),
            (document + "<Lot/>\n", "after the root element closed"),
            (document + "trailing", "text after the root element closes"),
            (String(document.dropLast("</LotReport>\n".count)), "ends while <LotReport> is open"),
            ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- nothing -->\n", "no root element"),
            (document.replacingOccurrences(of: "<LotNo>L-1</LotNo>", with: "<LotNo>L&#0;1</LotNo>"), "&#0; does not name a character"),
            ("<!DOCTYPE LotReport>\n" + document, "<!DOCTYPE"),
        ]
        for (malformed, complaint) in cases {
            let message = Self.rejection(of: malformed)
            #expect(message?.contains("not well-formed XML") == true, "\(message ?? "accepted")")
            #expect(message?.contains(complaint) == true, "\(message ?? "accepted") should say \(complaint)")
        }
    }

    @Test("a definition's element names must be XML names used once; an export needs a field; the field is named")
    func rules() throws {
        try ExportRules.check(Self.definition)
        for bad in ["1Lot", "xmlThing", "XMLthing", "Lot No", "Lot<", "Löt", "", String(repeating: "a", count: 65)] {
            var definition = Self.definition
            definition.fields[1].element = bad
            #expect(Self.invalidField(definition) == "fields[1].element", "'\(bad)'")
            #expect(!ExportRules.isElementName(bad), "'\(bad)'")
        }
        for good in ["LotNo", "_x", "a.b-c_1", String(repeating: "a", count: 64)] {
            #expect(ExportRules.isElementName(good), "'\(good)'")
        }

        var duplicate = Self.definition
        duplicate.fields[3].element = "LotNo"
        #expect(throws: DomainError.invalid(field: "fields[3].element", reason: "'LotNo' is used twice; each element appears once per record")) {
            try ExportRules.check(duplicate)
        }

        var empty = Self.definition
        empty.fields = []
        #expect(throws: DomainError.invalid(field: "fields", reason: "an export needs at least one field")) {
            try ExportRules.check(empty)
        }

        var badRoot = Self.definition
        badRoot.rootElement = "xml-report"
        #expect(Self.invalidField(badRoot) == "root_element")

        var sameAsRoot = Self.definition
        sameAsRoot.recordElement = sameAsRoot.rootElement
        #expect(Self.invalidField(sameAsRoot) == "record_element")

        var fieldIsRecord = Self.definition
        fieldIsRecord.fields[2].element = "Lot"
        #expect(Self.invalidField(fieldIsRecord) == "fields[2].element")

        for badName in ["", "Monthly", "monthly lots", "1-monthly", String(repeating: "a", count: 65)] {
            var definition = Self.definition
            definition.name = badName
            #expect(Self.invalidField(definition) == "name", "'\(badName)'")
        }
    }

    @Test("an export period is a calendar month: its last day, its neighbours, and what is not a month")
    func periods() throws {
        let february = try #require(ExportPeriod("2026-02"))
        #expect(february.last == Day("2026-02-28")!)
        let leapFebruary = try #require(ExportPeriod("2024-02"))
        #expect(leapFebruary.last == Day("2024-02-29")!)
        #expect(ExportPeriod("2026-13") == nil)
        let january = try #require(ExportPeriod("2026-01"))
        #expect(january.previous == ExportPeriod("2025-12")!)
        #expect(january.previous.next == january)
        #expect(january.description == "2026-01")
    }
}
