import ConformDomain
import ConformProtos
import ConformWire
import GRPCCore
import Testing

typealias CatalogClient = Conform_Requirement_V1_RequirementCatalog.Client<ConformWireClientTransport>

extension RunningService {
    /// A requirement catalog client acting as the test principal `name`.
    func catalog<Result: Sendable>(as name: String = "quality-engineer", _ body: (CatalogClient) async throws -> Result) async throws -> Result {
        try await self.withClient(tls: try ServicePKI.shared().principal(name).wireClient()) { client in
            try await body(CatalogClient(wrapping: client))
        }
    }
}

@Suite("Requirements, versions and what applies, over the wire", .timeLimit(.minutes(5)))
struct RequirementCatalogTests {
    static func version(
        _ number: String,
        from: String,
        until: String = "",
        needs: [String] = []
    ) -> Conform_Requirement_V1_RequirementVersion {
        .with {
            $0.number = number
            $0.title = "QR serialization v\(number)"
            $0.text = "Products must carry a QR code with the batch number and a traceability link."
            $0.acceptanceCriteria = "Every unit scans to its batch genealogy."
            $0.source = .with {
                $0.kind = .customerSpecification
                $0.reference = "CSR-B spec rev \(number)"
                $0.receivedOn = "2024-05-01"
            }
            $0.effectiveFrom = from
            $0.expiresOn = until
            $0.requiredCapabilities = needs
        }
    }

    /// Customers A, B and D, products ABC and FAST-M8; all three order ABC.
    static func seed(_ service: RunningService) async throws {
        try await service.requirement { client in
            for (code, industry) in [("A", Conform_Requirement_V1_Industry.automotive), ("B", .automotive), ("D", .medicalDevice)] {
                _ = try await client.createCustomer(.with { $0.code = code; $0.name = "Customer \(code)"; $0.industry = industry })
            }
            _ = try await client.createProduct(.with { $0.code = "ABC"; $0.name = "Bracket assembly"; $0.family = "BRACKETS" })
            _ = try await client.createProduct(.with { $0.code = "FAST-M8"; $0.name = "M8 bolt"; $0.family = "FASTENERS" })
        }
        try await service.catalog { client in
            for customer in ["A", "B", "D"] {
                _ = try await client.linkProduct(.with { $0.customer = customer; $0.product = "ABC"; $0.contractReference = "PO-\(customer)-1" })
            }
            _ = try await client.linkProduct(.with { $0.customer = "A"; $0.product = "FAST-M8" })
        }
    }

    @Test("a customer's principal reads the products its customer orders, with only its own requirements, and no other product")
    func customerScopedProducts() async throws {
        try await withRequirementService(suite: "prodscope") { service in
            try await Self.seed(service)
            try await service.catalog { client in
                _ = try await client.createRequirement(.with {
                    $0.customer = "A"; $0.requirementID = "CSR-A-1"; $0.category = .traceability; $0.strength = .mandatory
                    $0.scope = .with { $0.allProducts = true }; $0.firstVersion = Self.version("1.0", from: "2024-06-15")
                })
                _ = try await client.createRequirement(.with {
                    $0.customer = "B"; $0.requirementID = "CSR-B-1"; $0.category = .traceability; $0.strength = .mandatory
                    $0.scope = .with { $0.allProducts = true }; $0.firstVersion = Self.version("1.0", from: "2024-06-15")
                })
            }
            try await service.requirement(as: "customer-d-auditor") { client throws in
                #expect(try await client.getProduct(.with { $0.code = "ABC" }).code == "ABC")
                let notOrdered = await rpcError { try await client.getProduct(.with { $0.code = "FAST-M8" }) }
                #expect(notOrdered?.code == .permissionDenied)
                #expect(notOrdered?.message.contains("does not order product FAST-M8") == true)
                let unknown = await rpcError { try await client.getProduct(.with { $0.code = "NOPE" }) }
                #expect(unknown?.code == .permissionDenied, "a scoped caller must not learn which products exist")
            }
            try await service.catalog(as: "customer-a-auditor") { client throws in
                let described = try await client.describeProduct(.with { $0.product = "ABC"; $0.date = "2025-01-01" })
                #expect(described.customers.map(\.customer) == ["A"])
                #expect(described.customers.first?.requirements.map(\.requirementID) == ["CSR-A-1"])
            }
            try await service.catalog { client in
                let described = try await client.describeProduct(.with { $0.product = "ABC"; $0.date = "2025-01-01" })
                #expect(described.customers.map(\.customer) == ["A", "B", "D"])
            }
            let denied = try await service.auditEntries().filter { $0.outcome == .denied }
            #expect(denied.contains { $0.principal == "customer-d-auditor" && $0.object == "product:FAST-M8" })
        }
    }

    @Test("who orders what: links by customer and by product; duplicates and unknowns are refused")
    func links() async throws {
        try await withRequirementService(suite: "links") { service in
            try await Self.seed(service)
            try await service.catalog { client throws in
                #expect(try await client.listCustomerProducts(.with { $0.product = "ABC" }).links.map(\.customer) == ["A", "B", "D"])
                #expect(try await client.listCustomerProducts(.with { $0.customer = "A" }).links.map(\.product) == ["ABC", "FAST-M8"])
                let duplicate = await rpcError {
                    try await client.linkProduct(.with { $0.customer = "A"; $0.product = "ABC"; $0.contractReference = "PO-A-1" })
                }
                #expect(duplicate?.code == .alreadyExists)
                // The refusal says which of the two is missing.
                let unknown = await rpcError { try await client.linkProduct(.with { $0.customer = "Z"; $0.product = "ABC" }) }
                #expect(unknown?.code == .notFound)
                #expect(unknown?.message.hasPrefix("no customer Z (customer)") == true)
                let noProduct = await rpcError { try await client.linkProduct(.with { $0.customer = "A"; $0.product = "NOPE" }) }
                #expect(noProduct?.code == .notFound)
                #expect(noProduct?.message.hasPrefix("no product NOPE (product)") == true)
                let neither = await rpcError { try await client.linkProduct(.with { $0.customer = "Z"; $0.product = "NOPE" }) }
                #expect(neither?.message.hasPrefix("neither customer Z nor product NOPE exists") == true)
                #expect(try await client.listCustomerProducts(.with { $0.product = "ABC" }).links.count == 3)
                #expect(await rpcError { try await client.listCustomerProducts(.with { $0.customer = "Z" }) }?.code == .notFound)
                #expect(await rpcError { try await client.listCustomerProducts(.with { $0.product = "NOPE" }) }?.code == .notFound)
            }
        }
    }

    @Test("links, requirements and validations page with a keyset token, and a token used with other filters is refused")
    func paging() async throws {
        try await withRequirementService(suite: "catalog_paging") { service in
            try await Self.seed(service)
            try await service.catalog { client in
                // A second contract for the same customer and product: the contract tells them apart.
                _ = try await client.linkProduct(.with { $0.customer = "A"; $0.product = "ABC"; $0.contractReference = "PO-A-2" })
                for id in ["CSR-B-3", "CSR-B-1", "CSR-B-2"] {
                    _ = try await client.createRequirement(.with {
                        $0.customer = "B"; $0.requirementID = id; $0.category = .traceability; $0.strength = .mandatory
                        $0.scope = .with { $0.allProducts = true }; $0.firstVersion = Self.version("1.0", from: "2024-06-15")
                    })
                }
                for capability in ["x-ray", "anodizing", "nfc-tagging"] {
                    _ = try await client.recordValidation(.with { $0.capability = capability; $0.validatedOn = "2025-01-20"; $0.evidenceReference = "VAL-1" })
                }
            }
            try await service.catalog { client throws in
                let byProduct = try await readPages { size, token in
                    let page = try await client.listCustomerProducts(.with { $0.product = "ABC"; $0.pageSize = size; $0.pageToken = token })
                    return (page.links, page.nextPageToken)
                }
                let allByProduct = try await client.listCustomerProducts(.with { $0.product = "ABC" })
                #expect(byProduct.items.map { "\($0.customer)/\($0.contractReference)" } == ["A/PO-A-1", "A/PO-A-2", "B/PO-B-1", "D/PO-D-1"])
                #expect(byProduct.items == allByProduct.links && allByProduct.nextPageToken.isEmpty)
                #expect(byProduct.pages == 4)
                let byCustomer = try await readPages(size: 2) { size, token in
                    let page = try await client.listCustomerProducts(.with { $0.customer = "A"; $0.pageSize = size; $0.pageToken = token })
                    return (page.links, page.nextPageToken)
                }
                #expect(byCustomer.items.map { "\($0.product)/\($0.contractReference)" } == ["ABC/PO-A-1", "ABC/PO-A-2", "FAST-M8/"])
                #expect(byCustomer.pages == 2)

                let requirements = try await readPages { size, token in
                    let page = try await client.listRequirements(.with { $0.customer = "B"; $0.pageSize = size; $0.pageToken = token })
                    return (page.requirements, page.nextPageToken)
                }
                let allRequirements = try await client.listRequirements(.with { $0.customer = "B" })
                #expect(requirements.items.map(\.requirementID) == ["CSR-B-1", "CSR-B-2", "CSR-B-3"])
                #expect(requirements.items == allRequirements.requirements)

                let validations = try await readPages { size, token in
                    let page = try await client.listValidations(.with { $0.pageSize = size; $0.pageToken = token })
                    return (page.validations, page.nextPageToken)
                }
                let allValidations = try await client.listValidations(.init())
                #expect(validations.items.map(\.capability) == ["anodizing", "nfc-tagging", "x-ray"])
                #expect(validations.items == allValidations.validations)

                // A token belongs to its list and filters.
                let linkToken = try await client.listCustomerProducts(.with { $0.product = "ABC"; $0.pageSize = 1 }).nextPageToken
                let requirementToken = try await client.listRequirements(.with { $0.customer = "B"; $0.pageSize = 1 }).nextPageToken
                let validationToken = try await client.listValidations(.with { $0.pageSize = 1 }).nextPageToken
                #expect(![linkToken, requirementToken, validationToken].contains(""))
                await expectPageTokenRefused { try await client.listCustomerProducts(.with { $0.customer = "A"; $0.pageToken = linkToken }) }
                await expectPageTokenRefused { try await client.listCustomerProducts(.with { $0.customer = "A"; $0.product = "ABC"; $0.pageToken = linkToken }) }
                await expectPageTokenRefused { try await client.listRequirements(.with { $0.customer = "A"; $0.pageToken = requirementToken }) }
                await expectPageTokenRefused { try await client.listRequirements(.with { $0.customer = "B"; $0.pageToken = validationToken }) }
            }
        }
    }

    @Test("an unknown customer is NOT_FOUND, not an empty list; resolving a product the customer does not order is refused")
    func unknownCustomerAndProduct() async throws {
        try await withRequirementService(suite: "unknown_customer") { service in
            try await Self.seed(service)
            try await service.catalog { client throws in
                let list = await rpcError { try await client.listRequirements(.with { $0.customer = "ZZ" }) }
                #expect(list?.code == .notFound)
                #expect(list?.message.hasPrefix("no customer ZZ (customer)") == true)
                // A customer with no requirements yet is an empty list.
                #expect(try await client.listRequirements(.with { $0.customer = "B" }).requirements.isEmpty)
                let resolve = await rpcError { try await client.resolve(.with { $0.customer = "ZZ"; $0.product = "ABC" }) }
                #expect(resolve?.code == .notFound)
                #expect(resolve?.message.hasPrefix("no customer ZZ (customer)") == true)
                // B has an "all products" requirement, and does not order FAST-M8.
                _ = try await client.createRequirement(.with {
                    $0.customer = "B"; $0.requirementID = "CSR-B-ALL"; $0.category = .documentation; $0.strength = .mandatory
                    $0.scope = .with { $0.allProducts = true }
                    $0.firstVersion = Self.version("1.0", from: "2020-01-01")
                })
                #expect(try await client.resolve(.with { $0.customer = "B"; $0.product = "ABC" }).requirements.map(\.requirementID) == ["CSR-B-ALL"])
                let notOrdered = await rpcError { try await client.resolve(.with { $0.customer = "B"; $0.product = "FAST-M8" }) }
                #expect(notOrdered?.code == .failedPrecondition)
                #expect(notOrdered?.message.hasPrefix("customer B does not order product FAST-M8") == true)
            }
        }
    }

    @Test("a version awaiting validation is not enforced until validation is recorded; resolve explains each answer")
    func serializationScenario() async throws {
        try await withRequirementService(suite: "resolve") { service in
            try await Self.seed(service)
            try await service.catalog { client in
                let created = try await client.createRequirement(
                    .with {
                        $0.customer = "B"
                        $0.requirementID = "CSR-B-0156"
                        $0.category = .traceability
                        $0.strength = .mandatory
                        $0.scope = .with { $0.allProducts = true }
                        $0.firstVersion = Self.version("1.0", from: "2024-06-15")
                    }
                )
                #expect(created.versions.map(\.status) == ["active"])
                let revised = try await client.addRequirementVersion(
                    .with {
                        $0.customer = "B"
                        $0.requirementID = "CSR-B-0156"
                        $0.version = Self.version("2.0", from: "2025-01-01", needs: ["nfc-tagging"])
                    }
                )
                #expect(revised.versions.map(\.status) == ["active", "awaiting validation of nfc-tagging"])

                func inForce(_ date: String) async throws -> Conform_Requirement_V1_ResolvedRequirement? {
                    try await client.resolve(.with { $0.customer = "B"; $0.product = "ABC"; $0.date = date }).requirements.first
                }
                #expect(try await inForce("2024-06-14") == nil)
                #expect(try await inForce("2024-12-31")?.version.number == "1.0")
                let waiting = try await inForce("2025-01-05")
                #expect(waiting?.version.number == "1.0")
                #expect(waiting?.reasons.contains("version 2.0 is effective but awaits validation of nfc-tagging, so 1.0 stays in force") == true)
                #expect(waiting?.scopeMatch == "applies to all of the customer's products")

                let validation = try await client.recordValidation(
                    .with { $0.capability = "nfc-tagging"; $0.validatedOn = "2025-01-20"; $0.evidenceReference = "VAL-2025-004" }
                )
                #expect(validation.validatedBy == "quality-engineer")
                #expect(try await inForce("2025-01-19")?.version.number == "1.0")
                #expect(try await inForce("2025-01-20")?.version.number == "2.0")
            }
            let events = try await service.events().map(\.type)
            #expect(events.contains("requirement.version-added"))
            #expect(events.contains("capability.validated"))
        }
    }

    @Test("a temporary requirement holds through its last day; a product family scope picks only that family")
    func expiryAndFamilyScope() async throws {
        try await withRequirementService(suite: "expiry") { service in
            try await Self.seed(service)
            try await service.catalog { client in
                _ = try await client.createRequirement(
                    .with {
                        $0.customer = "A"
                        $0.requirementID = "CSR-AUTO-0847"
                        $0.category = .documentation
                        $0.strength = .mandatory
                        $0.scope = .with { $0.family = "FASTENERS" }
                        $0.firstVersion = Self.version("1", from: "2025-01-01", until: "2025-03-31")
                    }
                )
                func applies(_ product: String, _ date: String) async throws -> Bool {
                    !(try await client.resolve(.with { $0.customer = "A"; $0.product = product; $0.date = date }).requirements.isEmpty)
                }
                #expect(try await applies("FAST-M8", "2025-03-31"))
                #expect(!(try await applies("FAST-M8", "2025-04-01")))
                #expect(!(try await applies("ABC", "2025-02-01")))
            }
        }
    }

    @Test("Product ABC: which customers order it and what each requires of it")
    func describeProduct() async throws {
        try await withRequirementService(suite: "describe") { service in
            try await Self.seed(service)
            try await service.catalog { client in
                for (customer, id) in [("A", "CSR-A-0201"), ("D", "CSR-D-0234")] {
                    _ = try await client.createRequirement(
                        .with {
                            $0.customer = customer
                            $0.requirementID = id
                            $0.category = .quality
                            $0.strength = .mandatory
                            $0.scope = .with { $0.products = .with { $0.codes = ["ABC"] } }
                            $0.firstVersion = Self.version("1", from: "2024-08-01")
                        }
                    )
                }
                let view = try await client.describeProduct(.with { $0.product = "abc"; $0.date = "2025-01-05" })
                #expect(view.customers.map(\.customer) == ["A", "B", "D"])
                #expect(view.customers.map { $0.requirements.map(\.requirementID) } == [["CSR-A-0201"], [], ["CSR-D-0234"]])
                #expect(view.customers[0].contractReferences == ["PO-A-1"])
            }
        }
    }

    @Test("bad requirements and versions are refused, naming the field or saying what is wrong")
    func refusals() async throws {
        try await withRequirementService(suite: "reqbad") { service in
            try await Self.seed(service)
            try await service.catalog { client in
                var request = Conform_Requirement_V1_CreateRequirementRequest.with {
                    $0.customer = "B"
                    $0.requirementID = "CSR-B-0892"
                    $0.category = .documentation
                    $0.strength = .mandatory
                    $0.firstVersion = Self.version("1", from: "2024-06-15")
                }
                let noScope = await rpcError { try await client.createRequirement(request) }
                #expect(noScope?.message.hasPrefix("scope") == true)
                request.scope = .with { $0.allProducts = true }
                request.firstVersion.effectiveFrom = "15/06/2024"
                let badDate = await rpcError { try await client.createRequirement(request) }
                #expect(badDate?.code == .invalidArgument)
                #expect(badDate?.message.hasPrefix("first_version.effective_from") == true)
                request.firstVersion.effectiveFrom = "2024-06-15"
                request.firstVersion.expiresOn = "2024-01-01"
                let backwards = await rpcError { try await client.createRequirement(request) }
                #expect(backwards?.message.hasPrefix("first_version.expires_on") == true)
                request.firstVersion.expiresOn = ""
                _ = try await client.createRequirement(request)
                let taken = await rpcError { try await client.createRequirement(request) }
                #expect(taken?.code == .alreadyExists)

                let older = await rpcError {
                    try await client.addRequirementVersion(
                        .with { $0.customer = "B"; $0.requirementID = "CSR-B-0892"; $0.version = Self.version("0.9", from: "2024-07-01") }
                    )
                }
                #expect(older?.code == .failedPrecondition)
                let same = await rpcError {
                    try await client.addRequirementVersion(
                        .with { $0.customer = "B"; $0.requirementID = "CSR-B-0892"; $0.version = Self.version("1.0", from: "2024-07-01") }
                    )
                }
                #expect(same?.code == .alreadyExists)
                let missing = await rpcError {
                    try await client.addRequirementVersion(
                        .with { $0.customer = "B"; $0.requirementID = "CSR-B-9999"; $0.version = Self.version("2", from: "2025-01-01") }
                    )
                }
                #expect(missing?.code == .notFound)
            }
            try await service.catalog(as: "operator") { client in
                let denied = await rpcError {
                    try await client.recordValidation(.with { $0.capability = "nfc-tagging"; $0.validatedOn = "2025-01-20"; $0.evidenceReference = "x" })
                }
                #expect(denied?.code == .permissionDenied)
            }
        }
    }

    static func coaRules() -> [Conform_Requirement_V1_EvidenceRule] {
        [
            .with {
                $0.document = .with {
                    $0.type = "certificate-of-analysis"
                    $0.mediaTypes = ["application/pdf"]
                    $0.requiredFields = ["smelter-production-date", "material-grade", "tensile-strength", "chemical-composition"]
                    $0.signerRole = "supplier-quality-representative"
                }
            },
            .with { $0.photos = .with { $0.kind = "ndt"; $0.minimumCount = 4; $0.certification = "ndt-level-2" } },
            .with { $0.signature = .with { $0.meaning = .approved; $0.certification = "certified-quality-inspector" } },
            .with { $0.dualSignature = .with { $0.meaning = .approved; $0.firstRole = "customer-quality-manager"; $0.secondRole = "quality-manager" } },
            .with { $0.approvedSupplier = .with { $0.maxAuditAgeDays = 180 } },
            .with { $0.serialization = .with { $0.methods = [.qr, .nfc] } },
            .with { $0.recordFields = .with { $0.fields = [.with { $0.name = "smelter-production-date"; $0.type = .date }] } },
            .with { $0.periodicExport = .with { $0.format = .xml; $0.cadence = .monthly; $0.destination = "drop folder customer-b" } },
            .with { $0.part11Controls = .with { $0.lockOnCompletion = true; $0.auditAccess = true } },
        ]
    }

    @Test("every kind of evidence rule is stored with its version and read back as sent")
    func evidenceRules() async throws {
        try await withRequirementService(suite: "rules") { service in
            try await Self.seed(service)
            try await service.catalog { client in
                var first = Self.version("1.0", from: "2024-08-01")
                first.evidenceRules = Self.coaRules()
                _ = try await client.createRequirement(
                    .with {
                        $0.customer = "A"
                        $0.requirementID = "CSR-AUTO-0847"
                        $0.category = .documentation
                        $0.strength = .mandatory
                        $0.scope = .with { $0.family = "FASTENERS" }
                        $0.firstVersion = first
                    }
                )
                let stored = try await client.getRequirement(.with { $0.customer = "A"; $0.requirementID = "CSR-AUTO-0847" })
                #expect(stored.versions.first?.evidenceRules == Self.coaRules())
                let resolved = try await client.resolve(.with { $0.customer = "A"; $0.product = "FAST-M8"; $0.date = "2025-01-01" })
                #expect(resolved.requirements.first?.version.evidenceRules.count == 9)
            }
        }
    }

    @Test("a rule without a kind or with bad parameters is refused, naming the rule and the parameter")
    func badEvidenceRules() async throws {
        try await withRequirementService(suite: "rulesbad") { service in
            try await Self.seed(service)
            try await service.catalog { client throws in
                func refusal(_ rule: Conform_Requirement_V1_EvidenceRule) async -> String {
                    var version = Self.version("1", from: "2024-08-01")
                    version.evidenceRules = [Self.coaRules()[0], rule]
                    let error = await rpcError {
                        try await client.createRequirement(
                            .with {
                                $0.customer = "A"
                                $0.requirementID = "CSR-X"
                                $0.category = .quality
                                $0.strength = .mandatory
                                $0.scope = .with { $0.allProducts = true }
                                $0.firstVersion = version
                            }
                        )
                    }
                    #expect(error?.code == .invalidArgument)
                    return error?.message ?? ""
                }
                #expect(await refusal(.init()).hasPrefix("first_version.evidence_rules[1] has no kind this service knows"))
                #expect(await refusal(.with { $0.photos = .with { $0.kind = "ndt"; $0.minimumCount = 0 } })
                    .hasPrefix("first_version.evidence_rules[1].photos.minimum_count"))
                #expect(await refusal(.with { $0.document = .with { $0.type = "coa"; $0.mediaTypes = ["pdf"] } })
                    .hasPrefix("first_version.evidence_rules[1].document.media_types[0]"))
                #expect(await refusal(.with { $0.signature = .with { $0.role = "inspector" } })
                    .hasPrefix("first_version.evidence_rules[1].signature.meaning"))
                #expect(await refusal(.with { $0.signature = .with { $0.meaning = .approved } })
                    .hasPrefix("first_version.evidence_rules[1].signature names neither a role nor a certification"))
                #expect(await refusal(.with { $0.approvedSupplier = .with { $0.maxAuditAgeDays = 0 } })
                    .hasPrefix("first_version.evidence_rules[1].approved_supplier.max_audit_age_days"))
                #expect(await refusal(.with { $0.document = .with { $0.type = "Certificate Of Analysis"; $0.mediaTypes = ["application/pdf"] } })
                    .hasPrefix("first_version.evidence_rules[1].document.type"))
                #expect(try await client.listRequirements(.with { $0.customer = "A" }).requirements.isEmpty)
            }
        }
    }

    @Test("product ABC consolidated: every customer's requirements, their rules merged, each naming its sources")
    func consolidateProduct() async throws {
        try await withRequirementService(suite: "consolidate") { service in
            try await Self.seed(service)
            try await service.catalog { client in
                for (customer, photos, days) in [("A", UInt32(4), UInt32(365)), ("D", UInt32(6), UInt32(180))] {
                    var version = Self.version("1", from: "2024-08-01")
                    version.evidenceRules = [
                        .with { $0.photos = .with { $0.kind = "ndt"; $0.minimumCount = photos } },
                        .with { $0.approvedSupplier = .with { $0.maxAuditAgeDays = days } },
                    ]
                    _ = try await client.createRequirement(
                        .with {
                            $0.customer = customer
                            $0.requirementID = "CSR-\(customer)-NDT"
                            $0.category = .quality
                            $0.strength = .mandatory
                            $0.scope = .with { $0.products = .with { $0.codes = ["ABC"] } }
                            $0.firstVersion = version
                        }
                    )
                }
                let view = try await client.consolidateProduct(.with { $0.product = "ABC"; $0.date = "2025-01-05" })
                #expect(view.requirements.map(\.requirementID) == ["CSR-A-NDT", "CSR-D-NDT"])
                #expect(view.rules.map(\.rule) == [
                    .with { $0.photos = .with { $0.kind = "ndt"; $0.minimumCount = 6 } },
                    .with { $0.approvedSupplier = .with { $0.maxAuditAgeDays = 180 } },
                ])
                #expect(view.rules.map(\.sources) == [["A/CSR-A-NDT v1", "D/CSR-D-NDT v1"], ["A/CSR-A-NDT v1", "D/CSR-D-NDT v1"]])
            }
        }
    }

    @Test("a customer's auditor may resolve its own customer's requirements, not another's")
    func customerScope() async throws {
        try await withRequirementService(suite: "reqscope") { service in
            try await Self.seed(service)
            try await service.catalog(as: "customer-a-auditor") { client throws in
                #expect(try await client.resolve(.with { $0.customer = "A"; $0.product = "ABC" }).requirements.isEmpty)
                let denied = await rpcError { try await client.resolve(.with { $0.customer = "B"; $0.product = "ABC" }) }
                #expect(denied?.code == .permissionDenied)
            }
        }
    }
}
