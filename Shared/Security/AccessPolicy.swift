/// Who may call which RPC of one service, declared in one place. Anything not declared is
/// denied. Per-object checks (a customer-scoped principal seeing only its own customer)
/// are made by the handlers, with `Principal.mayAccess(customer:)`.
public struct AccessPolicy: Sendable {
    /// Who may call one RPC.
    public enum Rule: Sendable {
        /// Any authenticated principal (health checks).
        case anyPrincipal
        /// A principal holding at least one of these roles.
        case roles(Set<Role>)
    }

    /// The outcome for one call.
    public enum Decision: Sendable, Equatable {
        case allowed
        case denied(reason: String)
    }

    /// Rules by fully-qualified method, e.g. "conform.requirement.v1.RequirementService/CreateCustomer".
    public private(set) var rules: [String: Rule]

    public init(_ rules: [String: Rule] = [:]) {
        self.rules = rules
    }

    /// This policy with `other`'s rules added (the shared services' rules, typically).
    public func merging(_ other: AccessPolicy) -> AccessPolicy {
        AccessPolicy(self.rules.merging(other.rules) { mine, _ in mine })
    }

    /// Decides whether `principal` may call `method`.
    public func decide(method: String, principal: Principal) -> Decision {
        switch self.rules[method] {
        case nil:
            return .denied(reason: "\(method) is not open to any caller")
        case .anyPrincipal:
            return .allowed
        case .roles(let allowed):
            if !principal.roles.isDisjoint(with: allowed) { return .allowed }
            let needed = allowed.sorted().map(\.rawValue).joined(separator: " or ")
            let held = principal.roles.isEmpty ? "no role" : "role " + principal.roles.sorted().map(\.rawValue).joined(separator: ", ")
            return .denied(reason: "\(principal.name) has \(held); \(method) needs \(needed)")
        }
    }
}
