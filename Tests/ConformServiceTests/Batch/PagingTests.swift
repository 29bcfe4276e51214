import ConformDomain
import ConformProtos
import Foundation
import GRPCCore
import Testing

@Suite("Every list pages with a keyset token: batches, orders, evidence, signatures, signatories", .timeLimit(.minutes(5)))
struct PagingTests {
    @Test("pages of one give what one big page gives, in order; a token is refused with other filters or when forged")
    func pagesAddUp() async throws {
        try await withServiceStack(suite: "paging") { stack in
            try await BatchScenario.seed(stack)
            let numbers = ["B-P1", "B-P2", "B-P3"]
            try await stack.batches { client in
                for number in numbers {
                    _ = try await client.createBatch(.with {
                        $0.number = number; $0.product = "FAST-M8"; $0.customer = "A"; $0.manufactureDate = "2025-03-02"; $0.quantity = 1
                    })
                }
            }
            try await stack.batches(as: "quality-engineer") { client in
                for number in numbers {
                    _ = try await client.createOrder(.with { $0.reference = "PO-\(number)"; $0.customer = "A"; $0.product = "FAST-M8"; $0.quantity = 1 })
                }
            }
            try await stack.batches { client throws in
                let whole = try await client.listBatches(.with { $0.customer = "A" })
                #expect(whole.batches.map(\.number) == numbers && whole.nextPageToken.isEmpty)
                let walked = try await readPages(size: 1) { size, token in
                    let page = try await client.listBatches(.with { $0.customer = "A"; $0.pageSize = size; $0.pageToken = token })
                    return (page.batches.map(\.number), page.nextPageToken)
                }
                #expect(walked.items == numbers && walked.pages == 3)

                let first = try await client.listBatches(.with { $0.customer = "A"; $0.pageSize = 1 })
                let otherFilter = await rpcError { try await client.listBatches(.with { $0.customer = "D"; $0.pageToken = first.nextPageToken }) }
                #expect(otherFilter?.code == .invalidArgument)
                #expect(otherFilter?.message.contains("page_token") == true)
                let forged = await rpcError { try await client.listBatches(.with { $0.pageToken = "B-P1" }) }
                #expect(forged?.code == .invalidArgument)
                let tooMany = await rpcError { try await client.listBatches(.with { $0.pageSize = 501 }) }
                #expect(tooMany?.message.contains("page_size") == true)

                let orders = try await readPages(size: 2) { size, token in
                    let page = try await client.listOrders(.with { $0.customer = "A"; $0.pageSize = size; $0.pageToken = token })
                    return (page.orders.map(\.reference), page.nextPageToken)
                }
                #expect(orders.items == numbers.map { "PO-\($0)" } && orders.pages == 2)
            }

            let uploaded = try await stack.evidence { client in
                var ids: [UInt64] = []
                for _ in 0..<3 { ids.append(try await BatchScenario.upload(client, batch: "B-P1", metadata: BatchScenario.fullCoA).id) }
                return ids
            }
            try await stack.evidence(as: "quality-manager") { client throws in
                let items = try await readPages(size: 2) { size, token in
                    let page = try await client.listItems(.with { $0.batch = "B-P1"; $0.pageSize = size; $0.pageToken = token })
                    return (page.items.map(\.id), page.nextPageToken)
                }
                #expect(items.items == uploaded && items.pages == 2)
                let batch = try await stack.batches { try await $0.getBatch(.with { $0.number = "B-P1" }) }
                for meaning in [SignatureMeaning.reviewed, .approved] {
                    _ = try await BatchScenario.sign(client, target: "batch:B-P1", digest: batch.recordDigest, meaning: meaning, as: "quality-manager")
                }
                let signatures = try await readPages(size: 1) { size, token in
                    let page = try await client.listSignatures(.with { $0.target = "batch:B-P1"; $0.pageSize = size; $0.pageToken = token })
                    return (page.signatures.map(\.meaning), page.nextPageToken)
                }
                #expect(signatures.items == [.reviewed, .approved] && signatures.pages == 2)
                let signatories = try await readPages(size: 1) { size, token in
                    let page = try await client.listSignatories(.with { $0.pageSize = size; $0.pageToken = token })
                    return (page.signatories.map(\.principal), page.nextPageToken)
                }
                let all = try await client.listSignatories(.init()).signatories.map(\.principal)
                #expect(signatories.items == all && signatories.pages == all.count && all.count > 1)
            }
        }
    }
}
