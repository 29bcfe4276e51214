/// The five services and their default Conform wire ports, as the CLI knows them.
enum ServiceName: String, CaseIterable, ExpressibleByArgument {
    case requirement, batch, evidence, supplier, reporting

    var defaultWirePort: Int {
        switch self {
        case .requirement: return 7101
        case .batch: return 7102
        case .evidence: return 7103
        case .supplier: return 7104
        case .reporting: return 7105
        }
    }

    /// e.g. CONFORM_REQUIREMENT_ADDRESS.
    var addressVariable: String { "CONFORM_\(self.rawValue.uppercased())_ADDRESS" }

    static var list: String { allCases.map(\.rawValue).joined(separator: ", ") }
}

import ArgumentParser
