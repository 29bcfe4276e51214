import Foundation
import Testing

/// `conform supplier` and `conform receipt` against the running services.
@Suite("conform supplier and receipt", .timeLimit(.minutes(5)))
struct CLISupplierTests {
    @Test("the ASL, a blocked receipt in a clerk's words, its exception signed by a quality manager, and what comes due, as tables and JSON")
    func receivingGate() async throws {
        let tls = try CLITests.tlsFolder()
        defer { try? FileManager.default.removeItem(atPath: tls) }
        try await withServiceStack(suite: "cli_supplier") { stack in
            _ = try await stack.conform(tls: tls, "signatory", "keygen", "--as", "quality-manager")
            _ = try await stack.conform(
                tls: tls, "signatory", "add", "quality-manager", "--name", "Dana Reyes", "--key", "\(tls)/quality-manager-signing-public.pem", "--as", "quality-manager"
            )
            _ = try await stack.conform(tls: tls, "signatory", "grant", "quality-manager", "--role", "quality-manager", "--from", "2024-01-01", "--as", "quality-manager")

            let help = try await stack.conform(tls: tls, "receipt", "record", "--help")
            #expect(help.output.contains("--supplier"))
            let added = try await stack.conform(tls: tls, "supplier", "add", "ABC", "--name", "ABC Metals", "--site", "Plant 1")
            #expect(added.output.contains("Added supplier ABC (ABC Metals)."))
            let notManager = try await stack.conform(
                tls: tls, "supplier", "approve", "ABC", "--status", "approved", "--scope", "7075 plate", "--from", "2024-01-01", "--until", "2026-12-31"
            )
            #expect(notManager.status != 0)
            #expect(notManager.output.contains("needs quality-manager"))
            _ = try await stack.conform(
                tls: tls, "supplier", "approve", "ABC", "--status", "approved", "--scope", "7075 plate", "--from", "2024-01-01", "--until", "2026-12-31",
                "--as", "quality-manager"
            )
            _ = try await stack.conform(
                tls: tls, "supplier", "audit", "ABC", "--date", "2025-01-10", "--type", "process", "--auditor", "R. Auditor", "--result", "passed",
                "--next-due", "2026-01-10"
            )
            let asl = try await stack.conform(tls: tls, "supplier", "asl", "--json")
            let entries = try JSONSerialization.jsonObject(with: Data(asl.output.utf8)) as? [[String: Any]]
            #expect(entries?.first?["status"] as? String == "APPROVAL_STATUS_APPROVED")

            let blocked = try await stack.conform(
                tls: tls, "receipt", "record", "L-77", "--supplier", "ABC", "--material", "6061-T6 bar", "--quantity", "2 t", "--date", "2025-06-01", "--as", "operator"
            )
            #expect(blocked.output.contains("BLOCKED"))
            #expect(blocked.output.contains("Supplier ABC is not on the Approved Supplier List for material 6061-T6 bar"))
            let unjustified = try await stack.conform(tls: tls, "receipt", "exception", "L-77", "--justification", "urgent", "--as", "operator")
            #expect(unjustified.status != 0)
            _ = try await stack.conform(
                tls: tls, "receipt", "exception", "L-77", "--justification", "Customer approved 6061 for this order (DV-12).", "--as", "operator"
            )
            let approved = try await stack.conform(tls: tls, "receipt", "approve", "L-77", "--as", "quality-manager")
            #expect(approved.status == 0, "\(approved.output)")
            #expect(approved.output.contains("signed by Dana Reyes"))
            let receipt = try await stack.conform(tls: tls, "receipt", "get", "L-77", "--json")
            let object = try JSONSerialization.jsonObject(with: Data(receipt.output.utf8)) as? [String: Any]
            #expect(object?["exception"] as? String == "EXCEPTION_STATE_APPROVED")
            #expect(object?["exception_approved_by"] as? String == "quality-manager")

            let due = try await stack.conform(tls: tls, "supplier", "due", "--within", "30")
            #expect(due.output.contains("ABC       2026-01-10"))
            #expect(due.output.contains("overdue"))
        }
    }
}
