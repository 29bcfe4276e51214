import ConformRuntime
import Foundation
import Testing

/// The `conform` executable against a running service: what a person or a script sees.
@Suite("The conform CLI", .timeLimit(.minutes(5)))
struct CLITests {
    static let binary = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent(".build/debug/conform").path

    /// A TLS folder as `conform certs init` lays it out, holding the test principals.
    static func tlsFolder() throws -> String {
        let pki = try ServicePKI.shared()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("conform-cli-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try pki.caPEM.write(toFile: folder + "/ca.pem", atomically: true, encoding: .utf8)
        for name in ["quality-engineer", "quality-manager", "operator", "inspector", "auditor"] {
            let tls = pki.principal(name)
            try tls.certificateChainPEM.write(toFile: "\(folder)/\(name).pem", atomically: true, encoding: .utf8)
            try tls.privateKeyPEM.write(toFile: "\(folder)/\(name)-key.pem", atomically: true, encoding: .utf8)
        }
        return folder
    }

    @Test("add, get and list customers as tables and as JSON; errors exit non-zero with the reason")
    func customers() async throws {
        let tls = try Self.tlsFolder()
        defer { try? FileManager.default.removeItem(atPath: tls) }
        try await withRequirementService(suite: "cli") { service in
            let added = try await service.conform(
                tls: tls, "customer", "add", "A", "--name", "Customer A", "--industry", "automotive",
                "--contact", "Jo Park <jo@a.example> SQE", "--idempotency-key", "cli-1"
            )
            #expect(added.status == 0)
            #expect(added.output.contains("Added customer A (Customer A)."))

            let json = try await service.conform(tls: tls, "customer", "get", "a", "--json")
            #expect(json.status == 0)
            let object = try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any]
            #expect(object?["code"] as? String == "A")
            #expect(object?["industry"] as? String == "INDUSTRY_AUTOMOTIVE")

            let table = try await service.conform(tls: tls, "customer", "list")
            #expect(table.output.contains("CODE  NAME        INDUSTRY    CONTACTS"))
            #expect(table.output.contains("A     Customer A  automotive  1"))

            let duplicate = try await service.conform(tls: tls, "customer", "add", "A", "--name", "Again", "--industry", "other")
            #expect(duplicate.status != 0)
            #expect(duplicate.output.contains("alreadyExists: a customer with code 'A' already exists"))
            // The service names the API call; the CLI says what to type.
            #expect(duplicate.output.contains("or read it with GetCustomer"))
            #expect(duplicate.output.contains("In the CLI: conform customer get CODE"))

            let denied = try await service.conform(tls: tls, "product", "add", "ABC", "--name", "Bracket", "--as", "operator")
            #expect(denied.status != 0)
            #expect(denied.output.contains("needs admin or quality-engineer"))
            #expect(denied.output.contains("--as NAME"))

            _ = try await service.conform(tls: tls, "customer", "add", "B", "--name", "Customer B", "--industry", "aerospace")
            let onePage = try await service.conform(tls: tls, "customer", "list", "--page-size", "1")
            #expect(onePage.output.contains("More: --page-token p1."))
            let everyPage = try await service.conform(tls: tls, "customer", "list", "--page-size", "1", "--all", "--json")
            let codes = (try JSONSerialization.jsonObject(with: Data(everyPage.output.utf8)) as? [[String: Any]])?.compactMap { $0["code"] as? String }
            #expect(codes == ["A", "B"])

            let verify = try await service.conform(tls: tls, "audit", "verify", "--service", "requirement", "--as", "auditor")
            #expect(verify.status == 0)
            #expect(verify.output.contains("audit trail is intact"))
        }
    }

    @Test("a requirement with evidence rules from a JSON file, read back as a quality engineer reads it")
    func requirementWithRules() async throws {
        let tls = try Self.tlsFolder()
        defer { try? FileManager.default.removeItem(atPath: tls) }
        let rules = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("dev/demo/csr-auto-0847-rules.json").path
        try await withRequirementService(suite: "clireq") { service in
            _ = try await service.conform(tls: tls, "customer", "add", "A", "--name", "Customer A", "--industry", "automotive")
            let added = try await service.conform(
                tls: tls, "requirement", "add", "A", "CSR-AUTO-0847", "--category", "documentation", "--strength", "mandatory",
                "--scope", "family:FASTENERS", "--version", "1.0", "--title", "Fastener CoA", "--text", "CoA with every batch",
                "--source-kind", "customer-specification", "--source-ref", "QSR-A rev C", "--received", "2024-07-15",
                "--effective", "2024-08-01", "--rules", rules
            )
            #expect(added.status == 0, "\(added.output)")
            let shown = try await service.conform(tls: tls, "requirement", "get", "A", "CSR-AUTO-0847")
            #expect(shown.output.contains("document certificate-of-analysis (application/pdf) with smelter-production-date"))
            #expect(shown.output.contains("material from approved suppliers audited within 365 days"))

            let badRules = FileManager.default.temporaryDirectory.appendingPathComponent("conform-bad-rules-\(UUID().uuidString).json").path
            defer { try? FileManager.default.removeItem(atPath: badRules) }
            try #"[{"photos": {"kind": "ndt", "minimumCount": 0}}]"#.write(toFile: badRules, atomically: true, encoding: .utf8)
            let refused = try await service.conform(
                tls: tls, "requirement", "revise", "A", "CSR-AUTO-0847", "--version", "2.0", "--title", "t", "--text", "t",
                "--source-kind", "email", "--source-ref", "r", "--received", "2025-01-01", "--effective", "2025-02-01", "--rules", badRules
            )
            #expect(refused.status != 0)
            #expect(refused.output.contains("version.evidence_rules[0].photos.minimum_count"))
        }
    }

    @Test("a missing certificate says which file and how to make it")
    func missingCertificate() async throws {
        let tls = try Self.tlsFolder()
        defer { try? FileManager.default.removeItem(atPath: tls) }
        try await withRequirementService(suite: "clicert") { service in
            let result = try await service.conform(tls: tls, "customer", "list", "--as", "nobody")
            #expect(result.status != 0)
            #expect(result.output.contains("nobody.pem"))
            #expect(result.output.contains("conform certs init"))
        }
    }
}
