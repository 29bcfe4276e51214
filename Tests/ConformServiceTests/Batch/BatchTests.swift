import ConformProtos
import GRPCCore
import Testing

@Suite("Batches carry their customer's requirements from the moment they are made", .timeLimit(.minutes(5)))
struct BatchTests {
    @Test("a batch made the day before a new version keeps the old one, the day of gets the new; later changes never rewrite it")
    func snapshotByManufactureDate() async throws {
        try await withServiceStack(suite: "batch_snapshot") { stack in
            try await BatchScenario.seed(stack)
            try await stack.batches { client throws in
                let before = try await client.createBatch(.with {
                    $0.number = "B-0001"; $0.product = "FAST-M8"; $0.customer = "A"; $0.manufactureDate = "2025-02-28"; $0.quantity = 10
                })
                let on = try await client.createBatch(.with {
                    $0.number = "B-0002"; $0.product = "FAST-M8"; $0.customer = "A"; $0.manufactureDate = "2025-03-01"; $0.quantity = 10
                })
                #expect(before.requirements.map { "\($0.requirementID) \($0.version)" } == ["CSR-A-0300 1.0", "CSR-AUTO-0847 1.0"])
                #expect(on.requirements.map { "\($0.requirementID) \($0.version)" } == ["CSR-A-0300 1.0", "CSR-AUTO-0847 2.0"])
                #expect(on.requirements.last?.evidenceRules.count == 2)
                #expect(before.status == .open)
                #expect(before.recordDigest.hasPrefix("sha256:"))
            }
            // The requirement changes afterwards; the batch keeps what it was made under.
            try await stack.requirement.catalog { client in
                _ = try await client.addRequirementVersion(.with {
                    $0.customer = "A"; $0.requirementID = "CSR-AUTO-0847"
                    $0.version = BatchScenario.version("3.0", from: "2025-03-01", rules: [BatchScenario.coaRule])
                })
            }
            try await stack.batches { client throws in
                let kept = try await client.getBatch(.with { $0.number = "B-0002" })
                #expect(kept.requirements.map { "\($0.requirementID) \($0.version)" } == ["CSR-A-0300 1.0", "CSR-AUTO-0847 2.0"])
            }
            let types = try await stack.batch.events().map(\.type)
            #expect(types.filter { $0 == "batch.created" }.count == 2)
        }
    }

    @Test("a batch without a destination customer, or for a product its customer does not order, is refused with what to do")
    func destinationRequired() async throws {
        try await withServiceStack(suite: "batch_destination") { stack in
            try await BatchScenario.seed(stack)
            try await stack.batches { client throws in
                let nowhere = await rpcError {
                    try await client.createBatch(.with { $0.number = "B-1"; $0.product = "ABC"; $0.manufactureDate = "2025-03-01"; $0.quantity = 5 })
                }
                #expect(nowhere?.code == .invalidArgument)
                #expect(nowhere?.message.contains("which customer is this batch for?") == true)
                let unordered = await rpcError {
                    try await client.createBatch(.with { $0.number = "B-1"; $0.product = "FAST-M8"; $0.customer = "D"; $0.manufactureDate = "2025-03-01"; $0.quantity = 5 })
                }
                #expect(unordered?.code == .failedPrecondition)
                #expect(unordered?.message.contains("LinkProduct records that it does") == true)
                let badDate = await rpcError {
                    try await client.createBatch(.with { $0.number = "B-1"; $0.product = "ABC"; $0.customer = "D"; $0.manufactureDate = "2025-02-30"; $0.quantity = 5 })
                }
                #expect(badDate?.code == .invalidArgument)
                // Listing: a customer without batches is an empty list, one that does not exist is NOT_FOUND.
                #expect(try await client.listBatches(.with { $0.customer = "D" }).batches.isEmpty)
                let unknown = await rpcError { try await client.listBatches(.with { $0.customer = "ZZ" }) }
                #expect(unknown?.code == .notFound)
                #expect(unknown?.message.hasPrefix("no customer ZZ (customer)") == true)
                #expect(await rpcError { try await client.listBatches(.with { $0.product = "ZZ" }) }?.code == .notFound)
                #expect(await rpcError { try await client.listOrders(.with { $0.customer = "ZZ" }) }?.code == .notFound)
            }
        }
    }

    @Test("consolidation mode gives a batch every customer's requirements for its product")
    func consolidation() async throws {
        try await withServiceStack(suite: "batch_consolidated") { stack in
            try await BatchScenario.seed(stack)
            try await stack.batches(as: "quality-engineer") { client in
                _ = try await client.setProductMode(.with { $0.product = "ABC"; $0.consolidated = true })
            }
            try await stack.batches { client in
                let batch = try await client.createBatch(.with {
                    $0.number = "B-ABC-1"; $0.product = "ABC"; $0.customer = "A"; $0.manufactureDate = "2025-03-01"; $0.quantity = 3
                })
                #expect(batch.consolidated)
                #expect(batch.requirements.map { "\($0.customer)/\($0.requirementID)" } == ["A/CSR-A-0300", "D/CSR-D-0234"])
            }
        }
    }

    @Test("record fields are checked against the types the rules give them; serials resolve to the batch's genealogy")
    func recordFieldsAndSerials() async throws {
        try await withServiceStack(suite: "batch_record") { stack in
            try await BatchScenario.seed(stack)
            try await stack.requirement.catalog { client in
                _ = try await client.createRequirement(.with {
                    $0.customer = "A"; $0.requirementID = "CSR-A-0400"; $0.category = .traceability; $0.strength = .mandatory
                    $0.scope = .with { $0.allProducts = true }
                    $0.firstVersion = BatchScenario.version("1.0", from: "2024-01-01", rules: [.with { $0.serialization = .with { $0.methods = [.qr, .nfc] } }])
                })
            }
            try await stack.batches { client throws in
                _ = try await client.createBatch(.with {
                    $0.number = "B-7"; $0.product = "FAST-M8"; $0.customer = "A"; $0.manufactureDate = "2025-03-05"; $0.quantity = 3
                })
                let notADate = await rpcError {
                    try await client.recordFields(.with { $0.number = "B-7"; $0.values = ["smelter-production-date": "soon"] })
                }
                #expect(notADate?.code == .invalidArgument)
                #expect(notADate?.message.contains("values.smelter-production-date 'soon' is not a date") == true)
                let typo = await rpcError {
                    try await client.recordFields(.with { $0.number = "B-7"; $0.values = ["smelter-date": "2025-01-03"] })
                }
                #expect(typo?.message.contains("they ask for smelter-production-date") == true)
                let recorded = try await client.recordFields(.with { $0.number = "B-7"; $0.values = ["smelter-production-date": "2025-01-03"] })
                #expect(recorded.fields.map { "\($0.name)=\($0.value) by \($0.recordedBy)" } == ["smelter-production-date=2025-01-03 by operator"])

                let serialized = try await client.assignSerials(.with { $0.number = "B-7" })
                #expect(serialized.serials.map(\.serial) == ["B-7-00001", "B-7-00002", "B-7-00003"])
                #expect(serialized.serials.first?.qrPayload == "https://trace.conform.example/units/B-7-00001")
                #expect(serialized.recordDigest != recorded.recordDigest)
                let tagged = try await client.recordNfcTags(.with { $0.number = "B-7"; $0.tags = ["B-7-00002": "04:a2:24:b2:c3:5e:80"] })
                #expect(tagged.serials[1].nfcTag == "04A224B2C35E80")
                let genealogy = try await client.resolveSerial(.with { $0.serial = "B-7-00002" })
                #expect(genealogy.batch == "B-7")
                #expect(genealogy.customer == "A")
                #expect(genealogy.requirements.contains("A/CSR-A-0400 v1.0"))
                let report = try await client.compliance(.with { $0.number = "B-7" })
                let serialization = report.requirements.first { $0.requirementID == "CSR-A-0400" }
                #expect(serialization?.state == .unsatisfied)
                #expect(serialization?.missing == ["NFC tags for 2 of 3 units"])
            }
        }
    }
}
