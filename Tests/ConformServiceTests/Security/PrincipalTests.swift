import ConformCertificates
import ConformSecurity
import Testing

@Suite("Principals and access policy (no database)")
struct PrincipalTests {
    @Test("roles and customer scope are read from the certificate subject")
    func fromCertificate() throws {
        let authority = try DevelopmentCA()
        let issued = try authority.issue(
            commonName: "portal-b",
            organizationalUnits: PrincipalAttributes.organizationalUnits(roles: [.partnerPortal, .customerAuditor], customer: "B"),
            usage: .client
        )
        let principal = try Principal(certificate: issued.certificate)
        #expect(principal.name == "portal-b")
        #expect(principal.roles == [.partnerPortal, .customerAuditor])
        #expect(principal.customerScope == "B")
        #expect(principal.mayAccess(customer: "b"))
        #expect(!principal.mayAccess(customer: "A"))
    }

    @Test("a customer role without a customer scope is refused")
    func scopedRoleNeedsCustomer() throws {
        let issued = try DevelopmentCA().issue(
            commonName: "loose",
            organizationalUnits: PrincipalAttributes.organizationalUnits(roles: [.customerAuditor], customer: nil),
            usage: .client
        )
        let error = #expect(throws: PrincipalError.self) { try Principal(certificate: issued.certificate) }
        #expect(error?.description.contains("needs a customer scope") == true)
    }

    @Test("a customer's principal may hold only customer roles: an auditor scoped to A would otherwise read every feed")
    func scopeOnlyWithCustomerRoles() throws {
        let issued = try DevelopmentCA().issue(
            commonName: "sneaky",
            organizationalUnits: PrincipalAttributes.organizationalUnits(roles: [.auditor], customer: "A"),
            usage: .client
        )
        let error = #expect(throws: PrincipalError.self) { try Principal(certificate: issued.certificate) }
        #expect(error?.description.contains("may hold only customer-auditor or partner-portal") == true)
    }

    @Test("names are read as written, not in their escaped form")
    func unescapedNames() throws {
        let issued = try DevelopmentCA().issue(commonName: "Park, Jo", organizationalUnits: ["role:inspector"], usage: .client)
        #expect(try Principal(certificate: issued.certificate).name == "Park, Jo")
    }

    @Test("the policy denies anything it does not name, and names the roles needed")
    func defaultDeny() {
        let policy = AccessPolicy(["svc/Write": .roles([.qualityEngineer]), "svc/Health": .anyPrincipal])
        let operatorPrincipal = Principal(name: "oscar", roles: [.operator])
        #expect(policy.decide(method: "svc/Health", principal: operatorPrincipal) == .allowed)
        #expect(policy.decide(method: "svc/Write", principal: Principal(name: "q", roles: [.qualityEngineer])) == .allowed)
        #expect(policy.decide(method: "svc/Write", principal: operatorPrincipal) == .denied(reason: "oscar has role operator; svc/Write needs quality-engineer"))
        #expect(policy.decide(method: "svc/Other", principal: Principal(name: "root", roles: [.admin])) == .denied(reason: "svc/Other is not open to any caller"))
    }
}
