import Foundation
import Testing

/// `conform` for batches, evidence and signatures against the running services: what a person
/// on the shop floor and in quality sees.
@Suite("conform batch, evidence, signatory, sign and signature", .timeLimit(.minutes(3)))
struct CLIBatchTests {
    @Test("a batch blocked, its evidence uploaded with progress and signed with the signer's own key, released, and its signature checked offline")
    func blockedThenReleased() async throws {
        let tls = try CLITests.tlsFolder()
        let pdf = FileManager.default.temporaryDirectory.appendingPathComponent("conform-coa-\(UUID().uuidString.prefix(8)).pdf").path
        let downloaded = pdf + ".download"
        let exported = pdf + ".signature"
        var content = Data("%PDF-1.7\n".utf8)
        content.append(Data((0..<(12 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 7) }))
        try content.write(to: URL(fileURLWithPath: pdf))
        defer { for path in [tls, pdf, downloaded, exported] { try? FileManager.default.removeItem(atPath: path) } }
        try await withServiceStack(suite: "cli_batch") { stack in
            try await BatchScenario.seedRequirements(stack)
            for (principal, name) in [("quality-manager", "Dana Reyes"), ("quality-engineer", "Sam Okafor")] {
                let keygen = try await stack.conform(tls: tls, "signatory", "keygen", "--as", principal)
                #expect(keygen.status == 0, "\(keygen.output)")
                let added = try await stack.conform(
                    tls: tls, "signatory", "add", principal, "--name", name, "--key", "\(tls)/\(principal)-signing-public.pem", "--as", "quality-manager"
                )
                #expect(added.status == 0, "\(added.output)")
            }
            _ = try await stack.conform(tls: tls, "signatory", "grant", "quality-manager", "--role", "quality-manager", "--from", "2024-01-01", "--as", "quality-manager")
            let granted = try await stack.conform(
                tls: tls, "signatory", "grant", "quality-engineer", "--role", "supplier-quality-representative", "--from", "2024-01-01", "--as", "quality-manager"
            )
            #expect(granted.output.contains("supplier-quality-representative"))

            let nowhere = try await stack.conform(tls: tls, "batch", "create", "B-1", "--product", "FAST-M8", "--date", "2025-03-02", "--quantity", "5")
            #expect(nowhere.status != 0)
            #expect(nowhere.output.contains("which customer is this batch for?"))
            let created = try await stack.conform(
                tls: tls, "batch", "create", "B-1", "--product", "FAST-M8", "--customer", "A", "--date", "2025-03-02", "--quantity", "5", "--json"
            )
            #expect(created.status == 0, "\(created.output)")
            let batch = try JSONSerialization.jsonObject(with: Data(created.output.utf8)) as? [String: Any]
            #expect((batch?["requirements"] as? [Any])?.count == 2)

            let refused = try await stack.conform(tls: tls, "batch", "release", "B-1", "--as", "quality-manager")
            #expect(refused.status != 0)
            #expect(refused.output.contains("batch B-1 cannot be released: 1 mandatory requirement(s) unmet"))
            #expect(refused.output.contains("day(s) overdue"))

            let uploaded = try await stack.conform(
                tls: tls, "evidence", "upload", pdf, "--batch", "B-1", "--document", "certificate-of-analysis", "--as", "operator",
                "--field", "smelter-production-date=2025-01-03", "--field", "material-grade=10.9", "--field", "tensile-strength=1040 MPa",
                "--field", "chemical-composition=C 0.35", "--json"
            )
            #expect(uploaded.status == 0, "\(uploaded.output)")
            #expect(uploaded.output.contains("upload: 12 of 12 MiB (100%)"))
            let jsonStart = uploaded.output.firstIndex(of: "{") ?? uploaded.output.startIndex
            let item = try JSONSerialization.jsonObject(with: Data(uploaded.output[jsonStart...].utf8)) as? [String: Any]
            let id = try #require(item?["id"] as? String)
            #expect(item?["concerns"] as? [String] == ["A/CSR-AUTO-0847 v2.0"])
            #expect(item?["satisfies"] == nil, "not before it is signed")

            let signed = try await stack.conform(tls: tls, "sign", "evidence", id, "--meaning", "approved")
            #expect(signed.status == 0, "\(signed.output)")
            #expect(signed.output.contains("as Sam Okafor"))
            _ = try await stack.conform(tls: tls, "batch", "record", "B-1", "--field", "smelter-production-date=2025-01-03")
            let compliance = try await stack.conform(tls: tls, "batch", "compliance", "B-1")
            #expect(compliance.output.contains("Batch B-1 for A on"))
            #expect(compliance.output.contains(": releasable"))
            let released = try await stack.conform(tls: tls, "batch", "release", "B-1", "--as", "quality-manager")
            #expect(released.status == 0, "\(released.output)")
            #expect(released.output.contains("Released batch B-1 to A, signed by Dana Reyes"))
            #expect(released.output.contains("warning: A/CSR-A-0300 v1.0 (preferred) is not satisfied"))

            let listed = try await stack.conform(tls: tls, "signature", "list", "batch:B-1")
            #expect(listed.output.contains("approved  Dana Reyes"))
            let signatureID = try #require(listed.output.split(separator: "\n").dropFirst(2).first?.split(separator: " ").first.map(String.init))
            let export = try await stack.conform(tls: tls, "signature", "export", signatureID, "--dir", exported, "--as", "auditor")
            #expect(export.status == 0, "\(export.output)")
            let check = try await ProcessRunner.run(CLITests.binary, ["signature", "check", exported])
            #expect(check.output.contains("valid: Dana Reyes (quality-manager) signed batch:B-1 (approved)"))
            #expect(check.output.contains("the record is unchanged since it was signed"))

            let fetched = try await stack.conform(tls: tls, "evidence", "download", id, "--out", downloaded)
            #expect(fetched.output.contains("(verified)"))
            #expect(FileManager.default.contents(atPath: downloaded) == content)
        }
    }
}
