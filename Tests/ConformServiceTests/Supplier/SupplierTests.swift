import ConformDomain
import ConformProtos
import Foundation
import GRPCCore
import GRPCProtobuf
import Testing

@Suite("The ASL and the receiving gate, over the wire", .timeLimit(.minutes(5)))
struct SupplierTests {
    /// ALU-NORD approved for 6061-T6 bar until 2026-12-31, audited 2025-01-10; STEEL-SUD on the
    /// ASL for fasteners only; BAD-CO disqualified; NEW-CO not listed.
    static func seed(_ stack: ServiceStack) async throws {
        try await stack.suppliers { client in
            for (code, name) in [("ALU-NORD", "Aluminium Nord GmbH"), ("STEEL-SUD", "Steel Sud SA"), ("BAD-CO", "Bad Co"), ("NEW-CO", "New Co")] {
                _ = try await client.createSupplier(.with {
                    $0.code = code; $0.name = name; $0.sites = ["Plant 1"]
                    $0.contacts = [.with { $0.name = "Q. Contact"; $0.email = "quality@\(code.lowercased()).example"; $0.role = "quality" }]
                })
            }
            _ = try await client.setAslEntry(.with {
                $0.supplier = "ALU-NORD"; $0.status = .approved; $0.scope = ["6061-T6 bar"]; $0.approvedOn = "2024-01-15"; $0.validUntil = "2026-12-31"
            })
            _ = try await client.setAslEntry(.with {
                $0.supplier = "STEEL-SUD"; $0.status = .conditional; $0.scope = ["M8 fastener blanks"]; $0.approvedOn = "2024-01-15"; $0.validUntil = "2026-12-31"
            })
            _ = try await client.setAslEntry(.with {
                $0.supplier = "BAD-CO"; $0.status = .disqualified; $0.scope = ["6061-T6 bar"]; $0.approvedOn = "2023-01-15"; $0.validUntil = "2026-12-31"
            })
            for supplier in ["ALU-NORD", "STEEL-SUD", "BAD-CO"] {
                _ = try await client.recordAudit(.with {
                    $0.supplier = supplier; $0.date = "2025-01-10"; $0.type = "process"; $0.auditor = "R. Auditor"; $0.result = .passed; $0.nextDue = "2026-01-10"
                })
            }
        }
    }

    static func receive(_ client: SupplierClient, lot: String, supplier: String, material: String = "6061-T6 bar", on day: String) async throws -> Conform_Supplier_V1_Receipt {
        try await client.recordReceipt(.with { $0.lot = lot; $0.supplier = supplier; $0.material = material; $0.quantity = "2 t"; $0.receivedOn = day })
    }

    @Test("a receipt is accepted, or blocked in words a receiving clerk understands: not listed, not for this material, disqualified, audit too old")
    func gate() async throws {
        try await withServiceStack(suite: "supplier_gate") { stack in
            try await Self.seed(stack)
            try await stack.suppliers(as: "operator") { client in
                let accepted = try await Self.receive(client, lot: "L-1", supplier: "ALU-NORD", on: "2025-06-01")
                #expect(accepted.verdict == .accepted)
                #expect(accepted.reasons.isEmpty)
                #expect(accepted.lastAudit == "2025-01-10")

                let unlisted = try await Self.receive(client, lot: "L-2", supplier: "NEW-CO", on: "2025-06-01")
                #expect(unlisted.verdict == .blocked)
                #expect(unlisted.reasons.contains("Supplier NEW-CO is not on the Approved Supplier List"))
                // A supplier that does not exist is a mistyped code: refused, and nothing stored.
                let ghost = await rpcError { try await Self.receive(client, lot: "L-GHOST", supplier: "GHOST", on: "2025-06-01") }
                #expect(ghost?.code == .notFound)
                #expect(ghost?.message.hasPrefix("no supplier GHOST (supplier)") == true)
                #expect(await rpcError { try await client.getReceipt(.with { $0.lot = "L-GHOST" }) }?.code == .notFound)
                #expect(await rpcError { try await client.listReceipts(.with { $0.supplier = "GHOST" }) }?.code == .notFound)

                let material = try await Self.receive(client, lot: "L-3", supplier: "STEEL-SUD", on: "2025-06-01")
                #expect(material.reasons == ["Supplier STEEL-SUD is not on the Approved Supplier List for material 6061-T6 bar"])
                let conditional = try await Self.receive(client, lot: "L-3B", supplier: "STEEL-SUD", material: "m8 FASTENER blanks", on: "2025-06-01")
                #expect(conditional.verdict == .accepted)

                let disqualified = try await Self.receive(client, lot: "L-4", supplier: "BAD-CO", on: "2025-06-01")
                #expect(disqualified.reasons == ["Supplier BAD-CO is disqualified on the Approved Supplier List; its receipts are blocked"])

                // The default policy allows 365 days: the last day inside, and the first outside.
                let inside = try await Self.receive(client, lot: "L-5", supplier: "ALU-NORD", on: "2026-01-10")
                #expect(inside.verdict == .accepted)
                let outside = try await Self.receive(client, lot: "L-6", supplier: "ALU-NORD", on: "2026-01-11")
                #expect(outside.verdict == .blocked)
                #expect(outside.reasons == ["Supplier ALU-NORD was last audited on 2025-01-10, 366 days before this receipt; the receiving policy allows at most 365 days"])

                let again = await rpcError { try await Self.receive(client, lot: "L-1", supplier: "ALU-NORD", on: "2025-06-01") }
                #expect(again?.code == .alreadyExists)
            }
            // A stricter policy applies to later receipts.
            try await stack.suppliers { client in
                _ = try await client.setReceivingPolicy(.with { $0.maxAuditAgeDays = 180 })
            }
            try await stack.suppliers(as: "operator") { client in
                let stricter = try await Self.receive(client, lot: "L-7", supplier: "ALU-NORD", on: "2025-07-10")
                #expect(stricter.reasons.first?.contains("181 days before this receipt; the receiving policy allows at most 180 days") == true)
                let denied = await rpcError { try await client.setReceivingPolicy(.with { $0.maxAuditAgeDays = 999 }) }
                #expect(denied?.code == .permissionDenied)
            }
            let events = try await stack.supplier.events().map(\.type)
            #expect(events.contains("receipt.accepted"))
            #expect(events.contains("receipt.blocked"))
        }
    }

    @Test("an expired approval blocks receipts from that day on; due audits and expired approvals are listed")
    func expiryAndDue() async throws {
        try await withServiceStack(suite: "supplier_due") { stack in
            try await Self.seed(stack)
            try await stack.suppliers { client in
                _ = try await client.setAslEntry(.with {
                    $0.supplier = "STEEL-SUD"; $0.status = .approved; $0.scope = ["M8 fastener blanks"]; $0.approvedOn = "2024-01-15"; $0.validUntil = "2025-05-31"
                })
            }
            try await stack.suppliers(as: "operator") { client in
                let last = try await Self.receive(client, lot: "S-1", supplier: "STEEL-SUD", material: "M8 fastener blanks", on: "2025-05-31")
                #expect(last.verdict == .accepted)
                let expired = try await Self.receive(client, lot: "S-2", supplier: "STEEL-SUD", material: "M8 fastener blanks", on: "2025-06-01")
                #expect(expired.reasons == ["Supplier STEEL-SUD's approval expired on 2025-05-31"])
                let due = try await client.listDue(.with { $0.withinDays = 30 })
                // Every audit's next due date (2026-01-10) is long past today.
                #expect(Set(due.audits.map(\.supplier)) == ["ALU-NORD", "STEEL-SUD", "BAD-CO"])
                #expect(due.audits.allSatisfy { $0.daysLeft < 0 })
                #expect(due.expiredApprovals.map(\.supplier) == ["STEEL-SUD"])
            }
        }
    }

    @Test("every list pages with a keyset token: page after page gives what one large page does, and a token used with other filters is refused")
    func paging() async throws {
        try await withServiceStack(suite: "supplier_paging") { stack in
            try await Self.seed(stack)
            try await stack.suppliers { client in
                // Two of ALU-NORD's audits on one day: the id tells them apart.
                for date in ["2025-01-10", "2025-03-01"] {
                    _ = try await client.recordAudit(.with {
                        $0.supplier = "ALU-NORD"; $0.date = date; $0.type = "system"; $0.auditor = "R. Auditor"; $0.result = .passed; $0.nextDue = "2026-01-10"
                    })
                }
            }
            try await stack.suppliers(as: "operator") { client in
                // Two lots received on one day: the lot tells them apart.
                for (lot, day) in [("P-2", "2025-06-02"), ("P-1", "2025-06-02"), ("P-3", "2025-06-01"), ("P-4", "2025-06-03")] {
                    _ = try await Self.receive(client, lot: lot, supplier: "ALU-NORD", on: day)
                }
            }
            try await stack.suppliers { client in
                let suppliers = try await readPages { size, token in
                    let page = try await client.listSuppliers(.with { $0.pageSize = size; $0.pageToken = token })
                    return (page.suppliers, page.nextPageToken)
                }
                let allSuppliers = try await client.listSuppliers(.with { $0.pageSize = 500 })
                #expect(suppliers.items.map(\.code) == ["ALU-NORD", "BAD-CO", "NEW-CO", "STEEL-SUD"])
                #expect(suppliers.items == allSuppliers.suppliers && allSuppliers.nextPageToken.isEmpty)
                #expect(suppliers.pages == 4)

                let entries = try await readPages { size, token in
                    let page = try await client.listAsl(.with { $0.pageSize = size; $0.pageToken = token })
                    return (page.entries, page.nextPageToken)
                }
                let allEntries = try await client.listAsl(.init())
                #expect(entries.items.map(\.supplier) == ["ALU-NORD", "BAD-CO", "STEEL-SUD"])
                #expect(entries.items == allEntries.entries)

                let audits = try await readPages { size, token in
                    let page = try await client.listAudits(.with { $0.supplier = "ALU-NORD"; $0.pageSize = size; $0.pageToken = token })
                    return (page.audits, page.nextPageToken)
                }
                let allAudits = try await client.listAudits(.with { $0.supplier = "alu-nord" })
                try #require(audits.items.map(\.date) == ["2025-03-01", "2025-01-10", "2025-01-10"])
                #expect(audits.items[1].id > audits.items[2].id)
                #expect(audits.items == allAudits.audits)

                let receipts = try await readPages { size, token in
                    let page = try await client.listReceipts(.with { $0.supplier = "ALU-NORD"; $0.pageSize = size; $0.pageToken = token })
                    return (page.receipts, page.nextPageToken)
                }
                let allReceipts = try await client.listReceipts(.with { $0.supplier = "ALU-NORD" })
                #expect(receipts.items.map(\.lot) == ["P-3", "P-1", "P-2", "P-4"])
                #expect(receipts.items == allReceipts.receipts)

                // ListDue pages by supplier: one supplier a page, the same due items in all.
                func dueItems(_ page: Conform_Supplier_V1_ListDueResponse) -> [String] {
                    page.audits.map { "audit \($0.supplier) \($0.nextDue)" } + page.expiredApprovals.map { "expired \($0.supplier)" }
                }
                let due = try await readPages { size, token in
                    let page = try await client.listDue(.with { $0.withinDays = 30; $0.pageSize = size; $0.pageToken = token })
                    return (dueItems(page), page.nextPageToken)
                }
                let allDue = try await client.listDue(.with { $0.withinDays = 30 })
                #expect(due.items.sorted() == dueItems(allDue).sorted())
                #expect(due.pages == 4 && allDue.nextPageToken.isEmpty)

                // A token belongs to its list and filters.
                let auditToken = try await client.listAudits(.with { $0.supplier = "ALU-NORD"; $0.pageSize = 1 }).nextPageToken
                let receiptToken = try await client.listReceipts(.with { $0.supplier = "ALU-NORD"; $0.pageSize = 1 }).nextPageToken
                let dueToken = try await client.listDue(.with { $0.withinDays = 30; $0.pageSize = 1 }).nextPageToken
                let supplierToken = try await client.listSuppliers(.with { $0.pageSize = 1 }).nextPageToken
                #expect(![auditToken, receiptToken, dueToken, supplierToken].contains(""))
                await expectPageTokenRefused { try await client.listAudits(.with { $0.supplier = "STEEL-SUD"; $0.pageToken = auditToken }) }
                await expectPageTokenRefused { try await client.listReceipts(.with { $0.pageToken = receiptToken }) }
                await expectPageTokenRefused { try await client.listDue(.with { $0.withinDays = 60; $0.pageToken = dueToken }) }
                await expectPageTokenRefused { try await client.listAsl(.with { $0.pageToken = supplierToken }) }
                await expectPageTokenRefused { try await client.listSuppliers(.with { $0.pageToken = "not-a-token" }) }
                let tooLarge = await rpcError { try await client.listSuppliers(.with { $0.pageSize = 501 }) }
                #expect(tooLarge?.code == .invalidArgument)
                #expect(tooLarge?.message.hasPrefix("page_size ") == true)
            }
        }
    }

    @Test("a blocked lot is used only under an exception: justified in writing, approved and signed by a quality manager")
    func exception() async throws {
        try await withServiceStack(suite: "supplier_exception") { stack in
            try await Self.seed(stack)
            try await BatchScenario.seedSignatories(stack)
            let blocked = try await stack.suppliers(as: "operator") { client in
                try await Self.receive(client, lot: "X-1", supplier: "NEW-CO", on: "2025-06-01")
            }
            #expect(blocked.verdict == .blocked)
            try await stack.suppliers(as: "operator") { client throws in
                let bare = await rpcError { try await client.requestException(.with { $0.lot = "X-1"; $0.justification = "need it" }) }
                #expect(bare?.code == .invalidArgument)
                #expect(bare?.message.contains("say in writing why blocked lot X-1 should be used") == true)
                let requested = try await client.requestException(.with {
                    $0.lot = "X-1"; $0.justification = "Only source for the prototype order; CoA and incoming test passed (IT-2025-77)."
                })
                #expect(requested.exception == .requested)
                #expect(requested.exceptionRequestedBy == "operator")
            }
            let digest = try await stack.suppliers(as: "operator") { client in try await client.getReceiptDigest(.with { $0.lot = "X-1" }).digest }
            // An operator may not approve, even with a valid signature of their own.
            try await stack.suppliers(as: "operator") { client throws in
                let (manifest, signature) = try BatchScenario.operatorKey.sign(target: "lot:X-1", digest: digest, meaning: .approved, signer: "operator", printedName: "Olu Operator")
                let denied = await rpcError { try await client.approveException(.with { $0.lot = "X-1"; $0.manifest = manifest; $0.signature = signature }) }
                #expect(denied?.code == .permissionDenied)
            }
            try await stack.suppliers(as: "quality-manager") { client throws in
                let (forged, forgedSignature) = try BatchScenario.operatorKey.sign(
                    target: "lot:X-1", digest: digest, meaning: .approved, signer: "quality-manager", printedName: "Dana Reyes"
                )
                let wrongKey = await rpcError { try await client.approveException(.with { $0.lot = "X-1"; $0.manifest = forged; $0.signature = forgedSignature }) }
                #expect(wrongKey?.code == .permissionDenied)
                let (manifest, signature) = try BatchScenario.managerKey.sign(
                    target: "lot:X-1", digest: digest, meaning: .approved, signer: "quality-manager", printedName: "Dana Reyes"
                )
                let approval = Conform_Supplier_V1_ApproveExceptionRequest.with { $0.lot = "X-1"; $0.manifest = manifest; $0.signature = signature }
                let approved = try await client.approveException(approval, metadata: ["idempotency-key": "approve-X-1"])
                #expect(approved.exception == .approved)
                #expect(approved.exceptionApprovedBy == "quality-manager")
                #expect(approved.exceptionManifest == manifest)
                #expect(approved.verdict == .blocked)
                #expect(approved.exceptionSignatureID > 0)
                // Retried with its key: the same answer, not "approved already".
                #expect(try await client.approveException(approval, metadata: ["idempotency-key": "approve-X-1"]) == approved)
                // The approval is a signature like any other: listed and re-checked by the evidence
                // service against the signer's key and the receipt as it is now.
                let checked = try await stack.evidence(as: "auditor") { evidence in
                    try await evidence.verifySignatures(.with { $0.target = "lot:X-1" })
                }
                #expect(checked.currentDigest == digest)
                #expect(checked.checks.map(\.signatureID) == [approved.exceptionSignatureID])
                #expect(checked.checks.allSatisfy { $0.valid })
            }
            // Nobody signs a lot's receipt at the evidence service directly: approvals go through the supplier service.
            try await stack.evidence(as: "quality-manager") { evidence throws in
                let (manifest, signature) = try BatchScenario.managerKey.sign(
                    target: "lot:X-1", digest: digest, meaning: .approved, signer: "quality-manager", printedName: "Dana Reyes"
                )
                let direct = await rpcError { try await evidence.sign(.with { $0.manifest = manifest; $0.signature = signature }) }
                #expect(direct?.code == .invalidArgument)
                #expect(direct?.message.contains("ApproveException") == true)
            }
            let events = try await stack.supplier.events().map(\.type)
            #expect(events.contains("exception.requested"))
            #expect(events.contains("exception.approved"))
        }
    }

    @Test("a batch's release is refused while it consumes a blocked lot, allowed after the exception; its own audit-age rule still applies")
    func batchUsesLots() async throws {
        try await withServiceStack(suite: "supplier_batch") { stack in
            try await Self.seed(stack)
            try await BatchScenario.seedRequirements(stack)
            try await BatchScenario.seedSignatories(stack)
            try await BatchScenario.certifyInspector(stack)
            // Customer D demands suppliers audited within 6 months of manufacture.
            try await stack.requirement.catalog { client in
                _ = try await client.createRequirement(.with {
                    $0.customer = "D"; $0.requirementID = "CSR-D-0300"; $0.category = .quality; $0.strength = .mandatory
                    $0.scope = .with { $0.allProducts = true }
                    $0.firstVersion = BatchScenario.version("1.0", from: "2024-01-01", rules: [.with { $0.approvedSupplier = .with { $0.maxAuditAgeDays = 182 } }])
                })
            }
            try await stack.suppliers(as: "operator") { client in
                _ = try await Self.receive(client, lot: "OK-1", supplier: "ALU-NORD", on: "2025-08-01")
                _ = try await Self.receive(client, lot: "NO-1", supplier: "NEW-CO", on: "2025-08-01")
            }
            let batch = try await stack.batches { client throws in
                _ = try await client.createBatch(.with { $0.number = "D-700"; $0.product = "ABC"; $0.customer = "D"; $0.manufactureDate = "2025-09-10"; $0.quantity = 2 })
                let unknown = await rpcError { try await client.consumeLots(.with { $0.number = "D-700"; $0.lots = ["NEVER-1"] }) }
                #expect(unknown?.code == .notFound)
                return try await client.consumeLots(.with { $0.number = "D-700"; $0.lots = ["OK-1", "no-1"] })
            }
            #expect(batch.lots == ["NO-1", "OK-1"])
            // The receipt of OK-1 was accepted (audit 203 days old, within 365), but D's rule is 182 days.
            let report = try await stack.batches { client in try await client.compliance(.with { $0.number = "D-700" }) }
            let rule = report.requirements.first { $0.requirementID == "CSR-D-0300" }
            #expect(rule?.state == .unsatisfied)
            #expect(rule?.missing.contains("lot OK-1: supplier ALU-NORD was last audited on 2025-01-10, 243 days before the batch was made; at most 182 are allowed") == true)
            #expect(report.blockedLots.count == 1)
            #expect(report.blockedLots.first?.contains("lot NO-1 from supplier NEW-CO was blocked at receipt") == true)

            // A newer audit of ALU-NORD and a customer waiver for NEW-CO's audit leave only the blocked lot.
            try await stack.suppliers { client in
                _ = try await client.recordAudit(.with {
                    $0.supplier = "ALU-NORD"; $0.date = "2025-07-01"; $0.type = "process"; $0.auditor = "R. Auditor"; $0.result = .passed; $0.nextDue = "2026-07-01"
                })
                _ = try await client.recordAudit(.with {
                    $0.supplier = "NEW-CO"; $0.date = "2025-07-15"; $0.type = "initial"; $0.auditor = "R. Auditor"; $0.result = .passedWithFindings; $0.nextDue = "2026-01-15"
                })
            }
            try await stack.evidence(as: "inspector") { client in
                _ = try await BatchScenario.sign(client, target: "batch:D-700", digest: batch.recordDigest, meaning: .approved, as: "inspector")
                _ = try await BatchScenario.sign(client, target: "batch:D-700", digest: batch.recordDigest, meaning: .reviewed, as: "inspector")
            }
            try await stack.evidence(as: "quality-manager") { client in
                _ = try await BatchScenario.sign(client, target: "batch:D-700", digest: batch.recordDigest, meaning: .reviewed, as: "quality-manager")
            }
            let refused = await rpcError { try await ReleaseTests.release(stack, "D-700", digest: batch.recordDigest) }
            #expect(refused?.code == .failedPrecondition)
            #expect(refused?.message.contains("batch D-700 cannot be released: 1 blocked lot(s)") == true)
            #expect(refused?.message.contains("lot NO-1 from supplier NEW-CO") == true)
            let violations = try refused?.unpackGoogleRPCStatus()?.details.compactMap(\.preconditionFailure).first?.violations
            #expect(violations?.map(\.subject) == ["lot:NO-1"])
            #expect(violations?.first?.type == "LOT_BLOCKED")

            try await stack.suppliers(as: "operator") { client in
                _ = try await client.requestException(.with { $0.lot = "NO-1"; $0.justification = "Customer D accepted NEW-CO for this order in deviation DV-9." })
            }
            try await stack.suppliers(as: "quality-manager") { client in
                let digest = try await client.getReceiptDigest(.with { $0.lot = "NO-1" }).digest
                let (manifest, signature) = try BatchScenario.managerKey.sign(target: "lot:NO-1", digest: digest, meaning: .approved, signer: "quality-manager", printedName: "Dana Reyes")
                _ = try await client.approveException(.with { $0.lot = "NO-1"; $0.manifest = manifest; $0.signature = signature })
            }
            let decision = try await ReleaseTests.release(stack, "D-700", digest: batch.recordDigest)
            #expect(decision.released)
            #expect(decision.compliance.requirements.first { $0.requirementID == "CSR-D-0300" }?.reasons.contains {
                $0.contains("lot NO-1: supplier NEW-CO was audited 57 days before the batch was made (at most 182); received under an approved exception")
            } == true)
        }
    }
}
