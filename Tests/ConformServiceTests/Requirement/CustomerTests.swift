import ConformProtos
import GRPCCore
import Testing

@Suite("Customers over the wire", .timeLimit(.minutes(5)))
struct CustomerTests {
    static func customerA() -> Conform_Requirement_V1_CreateCustomerRequest {
        .with {
            $0.code = "a"
            $0.name = "Customer A (Automotive OEM)"
            $0.industry = .automotive
            $0.contacts = [.with { $0.name = "Jo Park"; $0.email = "jo.park@customer-a.example"; $0.role = "SQE" }]
            $0.notes = "CoA with every fastener batch"
        }
    }

    @Test("a customer is created, read back, and listed a page at a time")
    func createGetList() async throws {
        try await withRequirementService(suite: "customers") { service in
            try await service.requirement { client in
                let created = try await client.createCustomer(Self.customerA())
                #expect(created.code == "A")
                #expect(created.createdBy == "quality-engineer")
                #expect(created.createdAtMicros > 0)

                let fetched = try await client.getCustomer(.with { $0.code = "a" })
                #expect(fetched == created)

                for code in ["B", "C", "D", "E"] {
                    _ = try await client.createCustomer(.with { $0.code = code; $0.name = "Customer \(code)"; $0.industry = .aerospace })
                }
                var codes: [String] = []
                var token = ""
                var pages = 0
                repeat {
                    let page = try await client.listCustomers(.with { $0.pageSize = 2; $0.pageToken = token })
                    codes += page.customers.map(\.code)
                    token = page.nextPageToken
                    pages += 1
                } while !token.isEmpty
                #expect(codes == ["A", "B", "C", "D", "E"])
                #expect(pages == 3)
            }
        }
    }

    @Test("bad input is refused with INVALID_ARGUMENT naming the field, and nothing is written")
    func badInput() async throws {
        try await withRequirementService(suite: "custbad") { service in
            try await service.requirement { client in
                let cases: [(String, (inout Conform_Requirement_V1_CreateCustomerRequest) -> Void)] = [
                    ("name", { $0.name = "  " }),
                    ("code", { $0.code = "A B" }),
                    ("code", { $0.code = "" }),
                    ("industry", { $0.industry = .unspecified }),
                    ("contacts[0].email", { $0.contacts[0].email = "not-an-address" }),
                ]
                for (field, spoil) in cases {
                    var request = Self.customerA()
                    spoil(&request)
                    let error = await #expect(throws: RPCError.self) { try await client.createCustomer(request) }
                    #expect(error?.code == .invalidArgument)
                    #expect(error?.message.hasPrefix(field) == true, "\(error?.message ?? "") should name \(field)")
                }
                let listed = try await client.listCustomers(.init())
                #expect(listed.customers.isEmpty)
            }
            #expect(try await service.auditEntries().allSatisfy { $0.outcome != .write })
        }
    }

    @Test("a duplicate code gets ALREADY_EXISTS and leaves one customer, one audit write and one event")
    func duplicate() async throws {
        try await withRequirementService(suite: "custdup") { service in
            try await service.requirement { client in
                _ = try await client.createCustomer(Self.customerA())
                var again = Self.customerA()
                again.name = "Someone else"
                let error = await #expect(throws: RPCError.self) { try await client.createCustomer(again) }
                #expect(error?.code == .alreadyExists)
                #expect(error?.message.contains("'A' already exists") == true)
                #expect(try await client.getCustomer(.with { $0.code = "A" }).name == "Customer A (Automotive OEM)")
            }
            let writes = try await service.auditEntries().filter { $0.outcome == .write }
            #expect(writes.map(\.object) == ["customer:A"])
            let events = try await service.events()
            #expect(events.map(\.type) == ["customer.created"])
        }
    }

    @Test("an unknown customer is NOT_FOUND")
    func notFound() async throws {
        try await withRequirementService(suite: "custnf") { service in
            try await service.requirement { client in
                let error = await #expect(throws: RPCError.self) { try await client.getCustomer(.with { $0.code = "ZZ" }) }
                #expect(error?.code == .notFound)
            }
        }
    }

    @Test("a customer-scoped principal sees only its own customer; trying another is denied and audited")
    func customerScope() async throws {
        try await withRequirementService(suite: "custscope") { service in
            try await service.requirement { client in
                _ = try await client.createCustomer(Self.customerA())
                _ = try await client.createCustomer(.with { $0.code = "B"; $0.name = "Customer B"; $0.industry = .aerospace })
            }
            try await service.requirement(as: "customer-a-auditor") { client throws in
                #expect(try await client.listCustomers(.init()).customers.map(\.code) == ["A"])
                #expect(try await client.getCustomer(.with { $0.code = "A" }).code == "A")
                let error = await rpcError { try await client.getCustomer(.with { $0.code = "B" }) }
                #expect(error?.code == .permissionDenied)
            }
            let denied = try await service.auditEntries().filter { $0.outcome == .denied }
            #expect(denied.contains { $0.principal == "customer-a-auditor" && $0.object == "customer:B" })
        }
    }

    @Test("the same handlers answer standard gRPC over HTTP/2")
    func overHTTP2() async throws {
        try await withRequirementService(suite: "custh2") { service in
            try await service.withHTTP2Client { client in
                let requirement = Conform_Requirement_V1_RequirementService.Client(wrapping: client)
                _ = try await requirement.createCustomer(Self.customerA())
                #expect(try await requirement.getCustomer(.with { $0.code = "A" }).name == "Customer A (Automotive OEM)")
            }
        }
    }
}
