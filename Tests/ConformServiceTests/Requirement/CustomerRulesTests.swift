import ConformDomain
import RequirementService
import Testing

@Suite("Customer and product rules (no database)")
struct CustomerRulesTests {
    @Test("codes are trimmed and upper-cased; names are required; contacts are checked one by one")
    func customerRules() throws {
        let customer = try CustomerRules.validate(
            code: " acme-auto ", name: " ACME ", industry: .automotive,
            contacts: [Contact(name: "Jo", email: "jo@acme.example", role: "")], notes: ""
        )
        #expect(customer.code == "ACME-AUTO")
        #expect(customer.name == "ACME")
        #expect(throws: DomainError.invalid(field: "industry", reason: "is required: one of automotive, aerospace, medical-device, other")) {
            try CustomerRules.validate(code: "A", name: "A", industry: nil, contacts: [], notes: "")
        }
        #expect(throws: DomainError.invalid(field: "contacts[1].email", reason: "'nope' is not an e-mail address")) {
            try CustomerRules.validate(
                code: "A", name: "A", industry: .other,
                contacts: [Contact(name: "a", email: "a@b.example", role: ""), Contact(name: "b", email: "nope", role: "")], notes: ""
            )
        }
        #expect(throws: DomainError.self) {
            try CustomerRules.validate(code: String(repeating: "X", count: 33), name: "A", industry: .other, contacts: [], notes: "")
        }
    }

    @Test("a page token must be a code this service gave out")
    func paging() throws {
        #expect(try PageRequest.validate(pageSize: 0, pageToken: "", maxCodeLength: 32) == PageRequest(size: 50, afterCode: nil))
        #expect(throws: DomainError.self) { try PageRequest.validate(pageSize: 10, pageToken: "'; drop", maxCodeLength: 32) }
    }
}
