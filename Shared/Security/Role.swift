/// What a principal may do, bound to its certificate as an `OU=role:NAME` attribute.
public struct Role: RawRepresentable, Hashable, Sendable, CustomStringConvertible, Comparable {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    /// Defines customers, products, requirements and their versions; runs contract reviews.
    public static let qualityEngineer = Role(rawValue: "quality-engineer")
    /// Approves exceptions, releases batches, handles escalations.
    public static let qualityManager = Role(rawValue: "quality-manager")
    /// Creates batches and attaches evidence.
    public static let `operator` = Role(rawValue: "operator")
    /// Inspects and signs records.
    public static let inspector = Role(rawValue: "inspector")
    /// An internal auditor: reads everything, including audit trails; changes nothing.
    public static let auditor = Role(rawValue: "auditor")
    /// A customer's auditor: reads its own customer's data only (needs a customer scope).
    public static let customerAuditor = Role(rawValue: "customer-auditor")
    /// A customer's partner portal: calls reporting for its own customer only (needs a customer scope).
    public static let partnerPortal = Role(rawValue: "partner-portal")
    /// Another Conform service calling on its own behalf.
    public static let service = Role(rawValue: "service")
    /// Operates the deployment: audit verification, administration.
    public static let admin = Role(rawValue: "admin")

    /// Every role this build knows, for help texts and certificate issuing.
    public static let all: [Role] = [
        .qualityEngineer, .qualityManager, .operator, .inspector, .auditor, .customerAuditor, .partnerPortal, .service, .admin,
    ]

    /// Roles that act for one customer and must carry a customer scope.
    public static let customerScoped: Set<Role> = [.customerAuditor, .partnerPortal]

    public var description: String { self.rawValue }
    public static func < (lhs: Role, rhs: Role) -> Bool { lhs.rawValue < rhs.rawValue }
}
