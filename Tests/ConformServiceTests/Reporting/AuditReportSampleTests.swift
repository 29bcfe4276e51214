import ReportingService
import Testing

@Suite("Audit report sample")
struct AuditReportSampleTests {
    static let current: [Int64] = Array(stride(from: 10, through: 200, by: 10))

    @Test("a seed draws the same items on every platform and release: pinned, computed independently of this code")
    func pinned() {
        // SplitMix64 from seed 42, a partial Fisher-Yates over the ids in order (computed in Python).
        #expect(AuditReportRules.sample(current: Self.current, size: 3, seed: 42) == [30, 140, 170])
    }

    @Test("the draw does not depend on the order the ids arrive in")
    func orderIndependent() {
        #expect(AuditReportRules.sample(current: Self.current.reversed(), size: 3, seed: 42) == [30, 140, 170])
    }

    @Test("another seed draws other items; each draw is distinct ids of the archive, in order")
    func distinct() {
        let drawn = AuditReportRules.sample(current: Self.current, size: 5, seed: 7)
        #expect(drawn != AuditReportRules.sample(current: Self.current, size: 5, seed: 42))
        #expect(Set(drawn).count == 5)
        #expect(drawn == drawn.sorted())
        #expect(Set(drawn).isSubset(of: Self.current))
    }

    @Test("fewer items than the sample size: all of them")
    func small() {
        #expect(AuditReportRules.sample(current: [5, 3], size: 5, seed: 1) == [3, 5])
        #expect(AuditReportRules.sample(current: [], size: 5, seed: 1).isEmpty)
    }
}
