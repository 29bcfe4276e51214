import ConformProtos
import GRPCCore
import Testing

@Suite("Importing a customer's requirements, over the wire", .timeLimit(.minutes(5)))
struct RequirementImportTests {
    typealias Entry = Conform_Requirement_V1_ImportedRequirement

    static func entry(_ id: String, versions: [Conform_Requirement_V1_RequirementVersion]) -> Entry {
        .with {
            $0.requirementID = id
            $0.category = .traceability
            $0.strength = .mandatory
            $0.scope = .with { $0.allProducts = true }
            $0.versions = versions
        }
    }

    /// Runs an import of `entries` for `customer`, returning the outcome and every progress step.
    static func runImport(
        _ client: CatalogClient,
        customer: String = "B",
        validateOnly: Bool = false,
        _ entries: [Entry]
    ) async throws -> (Conform_Requirement_V1_ImportOutcome, [Conform_Requirement_V1_ImportProgress]) {
        try await client.importRequirements { writer in
            try await writer.write(.with { $0.header = .with { $0.customer = customer; $0.validateOnly = validateOnly; $0.expectedCount = UInt32(entries.count) } })
            for entry in entries { try await writer.write(.with { $0.requirement = entry }) }
        } onResponse: { response in
            var outcome: Conform_Requirement_V1_ImportOutcome?
            var progress: [Conform_Requirement_V1_ImportProgress] = []
            for try await message in response.messages {
                switch message.part {
                case .progress(let step)?: progress.append(step)
                case .outcome(let result)?: outcome = result
                case nil: break
                }
            }
            return (try #require(outcome), progress)
        }
    }

    @Test("an import creates requirements and adds versions; the same file again changes nothing")
    func importAndReimport() async throws {
        try await withRequirementService(suite: "import") { service in
            try await RequirementCatalogTests.seed(service)
            try await service.catalog { client in
                _ = try await client.createRequirement(.with {
                    $0.customer = "B"; $0.requirementID = "CSR-B-0156"; $0.category = .traceability; $0.strength = .mandatory
                    $0.scope = .with { $0.allProducts = true }
                    $0.firstVersion = RequirementCatalogTests.version("1.0", from: "2024-06-15")
                })
                let entries = [
                    Self.entry("CSR-B-0156", versions: [
                        RequirementCatalogTests.version("1.0", from: "2024-06-15"),
                        RequirementCatalogTests.version("2.0", from: "2025-01-01"),
                    ]),
                    Self.entry("CSR-B-0892", versions: [RequirementCatalogTests.version("1.0", from: "2024-01-01")]),
                    Self.entry("CSR-B-0900", versions: [
                        RequirementCatalogTests.version("1.0", from: "2023-01-01"),
                        RequirementCatalogTests.version("1.1", from: "2024-03-01"),
                    ]),
                ]
                let (checked, _) = try await Self.runImport(client, validateOnly: true, entries)
                #expect(!checked.written)
                #expect(checked.problems.isEmpty)
                #expect((checked.requirementsCreated, checked.versionsAdded, checked.versionsUnchanged) == (2, 4, 1))
                #expect(try await client.listRequirements(.with { $0.customer = "B" }).requirements.count == 1)

                let (first, progress) = try await Self.runImport(client, entries)
                #expect(first.written)
                #expect((first.requirementsCreated, first.versionsAdded, first.versionsUnchanged) == (2, 4, 1))
                #expect(progress.map(\.stage) == [.received, .checked, .written])
                #expect(progress.last?.done == 3)

                let stored = try await client.listRequirements(.with { $0.customer = "B" }).requirements
                #expect(stored.map(\.requirementID) == ["CSR-B-0156", "CSR-B-0892", "CSR-B-0900"])
                #expect(stored.first?.versions.map(\.number) == ["1.0", "2.0"])
                let resolved = try await client.resolve(.with { $0.customer = "B"; $0.product = "ABC"; $0.date = "2024-12-31" })
                #expect(resolved.requirements.map { "\($0.requirementID) \($0.version.number)" } == ["CSR-B-0156 1.0", "CSR-B-0892 1.0", "CSR-B-0900 1.1"])

                let eventsBefore = try await service.events().count
                let (again, _) = try await Self.runImport(client, entries)
                #expect(again.written)
                #expect((again.requirementsCreated, again.versionsAdded, again.versionsUnchanged) == (0, 0, 5))
                #expect(try await service.events().count == eventsBefore)
            }
            // Three imports, three call entries: a stream's writes carry their changes, not a
            // second entry for the call.
            let calls = try await service.auditEntries().filter { $0.action.hasSuffix("/ImportRequirements") && $0.outcome != .write }
            #expect(calls.map(\.outcome) == [.succeeded, .succeeded, .succeeded])
        }
    }

    @Test("every problem in every entry is reported with its entry and field, and nothing is written")
    func problemsWriteNothing() async throws {
        try await withRequirementService(suite: "import_problems") { service in
            try await RequirementCatalogTests.seed(service)
            try await service.catalog { client in
                _ = try await client.createRequirement(.with {
                    $0.customer = "B"; $0.requirementID = "CSR-B-0156"; $0.category = .traceability; $0.strength = .mandatory
                    $0.scope = .with { $0.allProducts = true }
                    $0.firstVersion = RequirementCatalogTests.version("1.0", from: "2024-06-15")
                })
                let badDate = RequirementCatalogTests.version("1.0", from: "2024-02-30")
                var badRule = RequirementCatalogTests.version("1.1", from: "2024-03-01")
                badRule.evidenceRules = [.with { $0.photos = .with { $0.kind = "ndt"; $0.minimumCount = 0 } }]
                var changed = RequirementCatalogTests.version("1.0", from: "2024-06-15")
                changed.title = "Something else"
                var noCategory = Self.entry("CSR-B-0003", versions: [RequirementCatalogTests.version("1.0", from: "2024-01-01")])
                noCategory.category = .unspecified
                let entries = [
                    Self.entry("CSR-B-0001", versions: [RequirementCatalogTests.version("1.0", from: "2024-01-01")]),
                    Self.entry("CSR-B-0002", versions: [badDate, badRule]),
                    noCategory,
                    Self.entry("CSR-B-0156", versions: [changed]),
                    Self.entry("CSR-B-0004", versions: [
                        RequirementCatalogTests.version("2.0", from: "2024-01-01"),
                        RequirementCatalogTests.version("1.0", from: "2024-06-01"),
                    ]),
                    Self.entry("CSR-B-0001", versions: [RequirementCatalogTests.version("1.0", from: "2024-01-01")]),
                    Self.entry("CSR-B-0005", versions: []),
                ]
                let (outcome, _) = try await Self.runImport(client, entries)
                #expect(!outcome.written)
                let problems = outcome.problems.map { "\($0.entry) \($0.field)" }
                #expect(problems == [
                    "1 versions[0].effective_from",
                    "1 versions[1].evidence_rules[0].photos.minimum_count",
                    "2 category",
                    "3 versions[0]",
                    "4 versions[1]",
                    "5 requirement_id",
                    "6 versions",
                ])
                #expect(outcome.problems.first { $0.entry == 3 }?.reason.contains("stored with a different title") == true)
                #expect(outcome.problems.first { $0.entry == 5 }?.reason.contains("appears in entry 1 already") == true)
                // All or nothing: the good first entry was not written either.
                #expect(try await client.listRequirements(.with { $0.customer = "B" }).requirements.map(\.requirementID) == ["CSR-B-0156"])
            }
        }
    }

    @Test("an import must start with its header, name a known customer, and come from a quality engineer")
    func refusals() async throws {
        try await withRequirementService(suite: "import_refusals") { service in
            try await RequirementCatalogTests.seed(service)
            try await service.catalog { client throws in
                let headless = await rpcError {
                    try await client.importRequirements { writer in
                        try await writer.write(.with { $0.requirement = Self.entry("CSR-B-1", versions: []) })
                    } onResponse: { response in
                        for try await _ in response.messages {}
                    }
                }
                #expect(headless?.code == .invalidArgument)
                #expect(headless?.message.contains("header must come first") == true)
                let unknown = await rpcError {
                    try await Self.runImport(client, customer: "ZZ", [Self.entry("CSR-Z-1", versions: [RequirementCatalogTests.version("1.0", from: "2024-01-01")])])
                }
                #expect(unknown?.code == .notFound)
            }
            try await service.catalog(as: "operator") { client throws in
                let denied = await rpcError { try await Self.runImport(client, []) }
                #expect(denied?.code == .permissionDenied)
            }
        }
    }
}
