import Foundation
import Testing

/// `conform requirement import` against a running service: the problems a person sees, at
/// their lines, and the import that follows once the file is right.
@Suite("conform requirement import", .timeLimit(.minutes(5)))
struct CLIImportTests {
    static let broken = """
        customer: B
        requirements:
          - requirement_id: CSR-B-0156
            category: traceability
            strength: mandatory
            scope: all
            versions:
              - number: "1.0"
                title: QR serialization of every unit
                text: Every unit carries a QR code linking to its batch genealogy.
                source: {kind: customer-specification, reference: CSR-B rev A, received_on: 2024-05-20}
                effective_from: 2024-06-15
                evidence_rules:
                  - serialization: {methods: [qr]}
              - number: "2.0"
                title: QR and NFC serialization
                text: Every unit carries a QR code and an NFC tag.
                source: {kind: customer-specification, reference: CSR-B rev B, received_on: 2024-11-02}
                effective_from: 2025-13-01
                required_capabilities: [nfc-tagging]
                evidence_rules:
                  - serialization: {methods: [qr, nfc]}
          - requirement_id: CSR-B-0892
            category: qualty
            strength: mandatory
            scope: {products: [ABC]}
            versions:
              - number: "1.0"
                title: Monthly quality data export
                text: Quality data for every batch shipped, monthly, as XML.
                source: {kind: email, reference: "e-mail from K. Ito, 2024-03-02", received_on: 2024-03-02}
                effective_from: 2024-04-01
                evidence_rules:
                  - periodic_export: {format: xml, cadence: monthly, destination: drop folder customer-b/quality-data}
                  - photo: {kind: ndt}
        """

    static func write(_ text: String, ext: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("conform-import-\(UUID().uuidString.prefix(8)).\(ext)").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("every problem in a YAML file is shown at its line and column and nothing is written; the fixed file imports once")
    func yamlProblemsThenImport() async throws {
        let tls = try CLITests.tlsFolder()
        let broken = try Self.write(Self.broken, ext: "yaml")
        let fixed = try Self.write(
            Self.broken.replacingOccurrences(of: "2025-13-01", with: "2025-01-01").replacingOccurrences(of: "qualty", with: "quality")
                .replacingOccurrences(of: "\n          - photo: {kind: ndt}", with: ""),
            ext: "yml"
        )
        defer { for path in [tls, broken, fixed] { try? FileManager.default.removeItem(atPath: path) } }
        try await withRequirementService(suite: "cli_import") { service in
            try await RequirementCatalogTests.seed(service)
            let refused = try await service.conform(tls: tls, "requirement", "import", broken)
            #expect(refused.status != 0)
            #expect(refused.output.contains("\(broken):24:15: (requirement 2) category: 'qualty' is not one of"), "\(refused.output)")
            #expect(refused.output.contains("\(broken):35:13: (requirement 2) versions[0].evidence_rules[1]: 'photo' is not a kind of evidence rule"))
            #expect(refused.output.contains("\(broken):19:25: (requirement 1) versions[1].effective_from: '2025-13-01' is not a date"))
            #expect(refused.output.contains("3 problem(s) in 2 requirement(s)"))
            #expect(refused.output.contains("nothing was imported"))
            let none = try await service.conform(tls: tls, "requirement", "list", "--customer", "B", "--json")
            #expect(none.output.trimmingCharacters(in: .whitespacesAndNewlines) == "[]")

            let checked = try await service.conform(tls: tls, "requirement", "import", fixed, "--check")
            #expect(checked.status == 0, "\(checked.output)")
            #expect(checked.output.contains("Nothing was written (--check)"))

            let imported = try await service.conform(tls: tls, "requirement", "import", fixed)
            #expect(imported.status == 0, "\(imported.output)")
            #expect(imported.output.contains("2 new requirement(s), 3 new version(s), 0 version(s) already stored"))
            let shown = try await service.conform(tls: tls, "requirement", "get", "B", "CSR-B-0156")
            #expect(shown.output.contains("awaiting validation of nfc-tagging"))
            #expect(shown.output.contains("every unit serialized by QR and NFC"))

            let again = try await service.conform(tls: tls, "requirement", "import", fixed, "--json")
            #expect(again.status == 0)
            let outcome = try JSONSerialization.jsonObject(with: Data(again.output.utf8)) as? [String: Any]
            #expect(outcome?["versions_unchanged"] as? Int == 3)
            #expect(outcome?["versions_added"] as? Int == 0)
        }
    }

    @Test("a large JSON file shows progress on standard error and imports in one go")
    func largeJSONWithProgress() async throws {
        let tls = try CLITests.tlsFolder()
        let requirements = (1...250).map { number in
            [
                "requirement_id": "CSR-A-\(number)",
                "category": "documentation",
                "strength": number.isMultiple(of: 2) ? "mandatory" : "preferred",
                "scope": ["products": ["ABC"]],
                "versions": [[
                    "number": "1.0", "title": "Requirement \(number)", "text": "Text of requirement \(number).",
                    "source": ["kind": "customer-portal", "reference": "portal item \(number)", "received_on": "2024-01-10"],
                    "effective_from": "2024-02-01",
                    "evidence_rules": [["photos": ["kind": "ndt", "minimum_count": 2]]],
                ] as [String: Any]],
            ] as [String: Any]
        }
        let data = try JSONSerialization.data(withJSONObject: ["customer": "A", "requirements": requirements], options: [.prettyPrinted])
        let file = try Self.write(String(decoding: data, as: UTF8.self), ext: "json")
        defer { for path in [tls, file] { try? FileManager.default.removeItem(atPath: path) } }
        try await withRequirementService(suite: "cli_import_large") { service in
            try await RequirementCatalogTests.seed(service)
            // The whole suite shares two cores: the deadline is not what this test is about.
            let imported = try await service.conform(tls: tls, "requirement", "import", file, "--timeout", "120")
            #expect(imported.status == 0, "\(imported.output)")
            #expect(imported.output.contains("import: read 250 requirements"))
            #expect(imported.output.contains("import: service received 100 of 250"))
            #expect(imported.output.contains("import: written 200 of 250"))
            #expect(imported.output.contains("250 new requirement(s), 250 new version(s)"))
            let resolved = try await service.conform(tls: tls, "requirement", "resolve", "--customer", "A", "--product", "ABC", "--json")
            let object = try JSONSerialization.jsonObject(with: Data(resolved.output.utf8)) as? [String: Any]
            #expect((object?["requirements"] as? [Any])?.count == 250)
        }
    }
}
