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

    @Test("a page token must be one this list gave out, for the same filters")
    func paging() throws {
        let first = try KeysetPage(size: 0, token: "", scope: "ListCustomers|")
        #expect(first.size == 50 && first.after == nil)
        let (_, token) = first.finish(["A", "B"].map { $0 } + Array(repeating: "Z", count: 49)) { [$0] }
        #expect(try KeysetPage(size: 0, token: token, scope: "ListCustomers|").after == ["Z"])
        #expect(throws: DomainError.self) { try KeysetPage(size: 10, token: token, scope: "ListCustomers|A") }
        #expect(throws: DomainError.self) { try KeysetPage(size: 10, token: "'; drop", scope: "ListCustomers|") }
        #expect(throws: DomainError.self) { try KeysetPage(size: 10, token: "p1.!!!", scope: "ListCustomers|") }
        #expect(throws: DomainError.self) { try KeysetPage(size: 501, token: "", scope: "ListCustomers|") }
        // A token whose values do not fit the key's columns never reaches SQL.
        #expect(throws: DomainError.self) { try KeysetPage(size: 0, token: token, scope: "ListCustomers|", keys: [.integer]) }
        #expect(throws: DomainError.self) { try KeysetPage(size: 0, token: token, scope: "ListCustomers|", keys: [.text, .text]) }
        let dated = try KeysetPage(size: 1, token: "", scope: "ListReceipts|", keys: [.date, .text])
        let (_, next) = dated.finish(["x", "y"]) { _ in ["2025-01-31", "LOT-1"] }
        #expect(try KeysetPage(size: 1, token: next, scope: "ListReceipts|", keys: [.date, .text]).after == ["2025-01-31", "LOT-1"])
        #expect(throws: DomainError.self) { try KeysetPage(size: 1, token: next, scope: "ListReceipts|", keys: [.integer, .text]) }
    }
}
