import ConformSecurity

/// Who may call each RPC of the requirement service. Anything not listed is denied.
enum RequirementAccessPolicy {
    private static let service = "conform.requirement.v1.RequirementService/"
    private static let catalog = "conform.requirement.v1.RequirementCatalog/"

    /// The supplier's own people and services, who may read everything here.
    private static let internalReaders: Set<Role> = [
        .qualityEngineer, .qualityManager, .operator, .inspector, .auditor, .admin, .service,
    ]

    static let policy = AccessPolicy([
        service + "CreateCustomer": .roles([.qualityEngineer, .admin]),
        // Customer-scoped callers see only their own customer (checked per object).
        service + "GetCustomer": .roles(internalReaders.union(Role.customerScoped)),
        service + "ListCustomers": .roles(internalReaders.union(Role.customerScoped)),
        service + "CreateProduct": .roles([.qualityEngineer, .admin]),
        // A customer's principal: only products its customer orders (checked per object).
        service + "GetProduct": .roles(internalReaders.union(Role.customerScoped)),
        service + "ListProducts": .roles(internalReaders),
        catalog + "LinkProduct": .roles([.qualityEngineer, .admin]),
        catalog + "ListCustomerProducts": .roles(internalReaders.union(Role.customerScoped)),
        catalog + "CreateRequirement": .roles([.qualityEngineer, .admin]),
        catalog + "AddRequirementVersion": .roles([.qualityEngineer, .admin]),
        catalog + "PublishVersion": .roles([.qualityEngineer, .admin]),
        catalog + "RetireRequirement": .roles([.qualityEngineer, .admin]),
        catalog + "ImportRequirements": .roles([.qualityEngineer, .admin]),
        catalog + "GetRequirement": .roles(internalReaders.union(Role.customerScoped)),
        catalog + "ListRequirements": .roles(internalReaders.union(Role.customerScoped)),
        // Validation of a new capability is quality engineering's call.
        catalog + "RecordValidation": .roles([.qualityEngineer]),
        catalog + "ListValidations": .roles(internalReaders),
        catalog + "Resolve": .roles(internalReaders.union(Role.customerScoped)),
        // A customer's principal: only products its customer orders, and only its own requirements.
        catalog + "DescribeProduct": .roles(internalReaders.union(Role.customerScoped)),
        catalog + "ConsolidateProduct": .roles(internalReaders),
        catalog + "StartContractReview": .roles([.qualityEngineer, .qualityManager]),
        catalog + "DecideReviewItem": .roles([.qualityEngineer, .qualityManager]),
        catalog + "AddStatedRequirement": .roles([.qualityEngineer, .qualityManager]),
        // Accepting a review is a signature on the supplier's commitment: management's call.
        catalog + "AcceptContractReview": .roles([.qualityManager]),
        catalog + "GetContractReview": .roles(internalReaders),
        catalog + "CloseContract": .roles([.qualityEngineer, .qualityManager]),
    ])
}
