import ConformDomain
import RequirementService
import Testing

/// Which version of which requirement is in force on a day (no database): the rules a batch
/// is held to.
@Suite("Requirement resolution (no database)")
struct RequirementResolutionTests {
    static func day(_ text: String) -> Day { Day(text)! }

    static func version(
        _ number: String,
        from: String,
        until: String? = nil,
        needs capabilities: [String] = [],
        draft: Bool = false
    ) -> RequirementVersion {
        RequirementVersion(
            number: VersionNumber(number)!,
            title: "v\(number)",
            text: "text of \(number)",
            acceptanceCriteria: "criteria of \(number)",
            source: RequirementSource(kind: .email, reference: "mail", receivedOn: day(from).previous),
            effectiveFrom: day(from),
            expiresOn: until.map(day),
            requiredCapabilities: capabilities,
            isDraft: draft
        )
    }

    /// Customer B's serialization requirement: QR in 1.0, QR plus NFC in 2.0 from 2025-01-01.
    static let serialization = Requirement(
        customer: "B",
        id: "CSR-B-0156",
        category: .traceability,
        strength: .mandatory,
        scope: .allProducts,
        versions: [
            version("1.0", from: "2024-06-15"),
            version("2.0", from: "2025-01-01", needs: ["nfc-tagging"]),
        ]
    )

    static let nfcValidated = CapabilityValidation(
        capability: "nfc-tagging", validatedOn: day("2025-01-20"), validatedBy: "qe.alice", evidenceReference: "VAL-2025-004"
    )

    func inForce(_ requirement: Requirement, on text: String, validations: [CapabilityValidation] = []) -> String? {
        RequirementResolution.versionInForce(of: requirement, on: Self.day(text), validations: validations)?.number.description
    }

    @Test("a new version holds from its effective date: the day before, the old one still does")
    func effectiveDateEdges() {
        let simple = Requirement(
            customer: "A", id: "CSR-AUTO-0847", category: .documentation, strength: .mandatory, scope: .allProducts,
            versions: [Self.version("1", from: "2024-08-01"), Self.version("2", from: "2025-03-01")]
        )
        #expect(inForce(simple, on: "2024-07-31") == nil)
        #expect(inForce(simple, on: "2024-08-01") == "1")
        #expect(inForce(simple, on: "2025-02-28") == "1")
        #expect(inForce(simple, on: "2025-03-01") == "2")
    }

    @Test("a version awaiting validation is not enforced; the one before it stays in force until validation is recorded")
    func awaitingValidation() {
        #expect(inForce(Self.serialization, on: "2024-12-15") == "1.0")
        #expect(inForce(Self.serialization, on: "2025-01-05") == "1.0")
        #expect(inForce(Self.serialization, on: "2025-01-05", validations: [Self.nfcValidated]) == "1.0")
        #expect(inForce(Self.serialization, on: "2025-01-20", validations: [Self.nfcValidated]) == "2.0")

        let statuses = RequirementResolution.statuses(of: Self.serialization, on: Self.day("2025-01-05"), validations: [])
        #expect(statuses.map(\.1) == [.active, .awaitingValidation(missing: ["nfc-tagging"])])
        let later = RequirementResolution.statuses(of: Self.serialization, on: Self.day("2025-02-01"), validations: [Self.nfcValidated])
        #expect(later.map(\.1) == [.superseded(by: VersionNumber("2.0")!), .active])
    }

    @Test("a temporary requirement holds through its last day and not after")
    func expiry() {
        let temporary = Requirement(
            customer: "D", id: "CSR-D-0300", category: .quality, strength: .mandatory, scope: .allProducts,
            versions: [Self.version("1", from: "2025-01-01", until: "2025-03-31")]
        )
        #expect(inForce(temporary, on: "2025-03-31") == "1")
        #expect(inForce(temporary, on: "2025-04-01") == nil)
        #expect(RequirementResolution.statuses(of: temporary, on: Self.day("2025-04-01"), validations: []).map(\.1) == [.expired])
    }

    @Test("drafts are never enforced")
    func drafts() {
        let drafted = Requirement(
            customer: "A", id: "CSR-A-0201", category: .quality, strength: .preferred, scope: .allProducts,
            versions: [Self.version("1", from: "2024-01-01"), Self.version("2", from: "2024-06-01", draft: true)]
        )
        #expect(inForce(drafted, on: "2025-01-01") == "1")
    }

    @Test("scope picks the products: all, a family, or named products; each resolution says why")
    func scopeAndExplanation() {
        let all = Self.serialization
        let fasteners = Requirement(
            customer: "A", id: "CSR-AUTO-0847", category: .documentation, strength: .mandatory, scope: .family("FASTENERS"),
            versions: [Self.version("1", from: "2024-08-01")]
        )
        let named = Requirement(
            customer: "D", id: "CSR-D-0234", category: .regulatory, strength: .mandatory, scope: .products(["ABC"]),
            versions: [Self.version("1", from: "2024-10-01")]
        )
        let resolved = RequirementResolution.resolve(
            [named, fasteners, all], product: "ABC", family: "BRACKETS", on: Self.day("2025-01-05"), validations: []
        )
        #expect(resolved.map(\.requirement.id) == ["CSR-B-0156", "CSR-D-0234"])
        #expect(resolved[0].scopeMatch == "applies to all of the customer's products")
        #expect(resolved[0].reasons.contains("version 2.0 is effective but awaits validation of nfc-tagging, so 1.0 stays in force"))
        #expect(resolved[1].scopeMatch == "names product ABC")

        let bolts = RequirementResolution.resolve([fasteners], product: "FAST-M8", family: "FASTENERS", on: Self.day("2025-01-05"), validations: [])
        #expect(bolts.first?.scopeMatch == "applies to product family FASTENERS, which FAST-M8 belongs to")
    }

    @Test("days and version numbers parse strictly and order naturally")
    func values() {
        #expect(Day("2024-02-29") != nil)
        #expect(Day("2025-02-29") == nil)
        #expect(Day("2025-1-05") == nil)
        #expect(Day("2025-01-01")!.previous == Day("2024-12-31")!)
        #expect(VersionNumber("1.10")! > VersionNumber("1.9")!)
        #expect(VersionNumber("2")! == VersionNumber("2.0")!)
        #expect(VersionNumber("v2") == nil)
    }
}
