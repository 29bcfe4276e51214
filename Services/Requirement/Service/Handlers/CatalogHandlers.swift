import ConformDomain
import ConformProtos
import ConformService
import ConformStorage
import Foundation
import GRPCCore

/// The wire side of requirements: who orders what, requirements and versions, validations,
/// and what applies to a product on a date.
struct CatalogHandlers: Conform_Requirement_V1_RequirementCatalog.SimpleServiceProtocol {
    let database: Database
    let writes: Writes

    init(database: Database) {
        self.database = database
        self.writes = Writes(database: database)
    }

    func linkProduct(
        request: Conform_Requirement_V1_LinkProductRequest,
        context: ServerContext
    ) async throws -> Conform_Requirement_V1_CustomerProduct {
        let customer = try Codes.customer(request.customer)
        let product = try Codes.product(request.product)
        let contract = try FieldRules.optionalText(request.contractReference, field: "contract_reference", maxLength: 200)
        return try await self.writes.write(request) { transaction in
            let link = try await CatalogStore.link(
                customer: customer, product: product, contract: contract,
                by: transaction.call.principal.name, on: transaction.connection, logger: transaction.logger
            )
            let message = link.message
            try await transaction.recordCreation(of: message, object: "customer:\(customer)/product:\(product)", event: "customer-product.linked")
            return message
        }
    }

    func listCustomerProducts(
        request: Conform_Requirement_V1_ListCustomerProductsRequest,
        context: ServerContext
    ) async throws -> Conform_Requirement_V1_ListCustomerProductsResponse {
        let call = try CallContext.required()
        let customer = request.customer.isEmpty ? nil : try Codes.customer(request.customer)
        let product = request.product.isEmpty ? nil : try Codes.product(request.product)
        guard customer != nil || product != nil else {
            throw DomainError.invalid(field: "customer", reason: "or product is required: name the customer, the product, or both")
        }
        if let customer { try call.requireAccess(toCustomer: customer) }
        let only = customer ?? call.principal.customerScope?.uppercased()
        let page = try KeysetPage(size: request.pageSize, token: request.pageToken, scope: "ListCustomerProducts|\(only ?? "")|\(product ?? "")", keys: [.text, .text, .text])
        let rows = try await CatalogStore.links(
            customer: only, product: product, afterCustomer: page.after(0), afterProduct: page.after(1), afterContract: page.after(2),
            limit: page.readLimit, in: self.database, logger: call.logger
        )
        // No links is an answer only about a customer and a product that exist.
        if rows.isEmpty, page.after == nil {
            if let customer, try await CustomerStore.find(code: customer, in: self.database, logger: call.logger) == nil {
                throw DomainError.notFound(CatalogRules.noCustomer(customer))
            }
            // A customer's principal may not read the catalogue, so it learns nothing of it here.
            if let product, call.principal.customerScope == nil, try await ProductStore.find(code: product, in: self.database, logger: call.logger) == nil {
                throw DomainError.notFound("no product \(product) (product); ListProducts shows the products there are")
            }
        }
        let (links, next) = page.finish(rows) { [$0.customer, $0.product, $0.contractReference] }
        return .with {
            $0.links = links.map(\.message)
            $0.nextPageToken = next
        }
    }

    func createRequirement(
        request: Conform_Requirement_V1_CreateRequirementRequest,
        context: ServerContext
    ) async throws -> Conform_Requirement_V1_Requirement {
        let customer = try Codes.customer(request.customer)
        let id = try Codes.requirement(request.requirementID)
        guard let category = RequirementCategory(request.category) else {
            throw DomainError.invalid(field: "category", reason: "is required: one of \(RequirementCategory.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let strength = RequirementStrength(request.strength) else {
            throw DomainError.invalid(field: "strength", reason: "is required: mandatory (blocks release) or preferred (warns)")
        }
        guard request.hasFirstVersion else {
            throw DomainError.invalid(field: "first_version", reason: "is required: a requirement starts with its first version")
        }
        let requirement = Requirement(
            customer: customer,
            id: id,
            category: category,
            strength: strength,
            scope: try RequirementScope.validate(request.hasScope ? request.scope : nil),
            versions: [try RequirementVersion.validate(request.firstVersion, field: "first_version")]
        )
        let validations = try await self.validations()
        return try await self.writes.write(request) { transaction in
            guard try await Self.customerExists(customer, on: transaction) else {
                throw DomainError.notFound("no customer \(customer); create it first with CreateCustomer")
            }
            try await RequirementStore.insert(requirement, by: transaction.call.principal.name, on: transaction.connection, logger: transaction.logger)
            let message = requirement.message(on: Day.today, validations: validations)
            try await transaction.recordCreation(of: message, object: "requirement:\(customer)/\(id)", event: "requirement.created")
            return message
        }
    }

    func addRequirementVersion(
        request: Conform_Requirement_V1_AddRequirementVersionRequest,
        context: ServerContext
    ) async throws -> Conform_Requirement_V1_Requirement {
        let customer = try Codes.customer(request.customer)
        let id = try Codes.requirement(request.requirementID)
        let version = try RequirementVersion.validate(request.version, field: "version")
        let validations = try await self.validations()
        return try await self.writes.write(request) { transaction in
            var requirement = try await Self.requirementForUpdate(customer: customer, id: id, in: transaction)
            let before = requirement.message(on: Day.today, validations: validations)
            try RequirementRules.checkNewVersion(version, to: requirement)
            try await Self.storeNewVersion(version, of: requirement, in: transaction)
            requirement.versions.append(version)
            let after = requirement.message(on: Day.today, validations: validations)
            try await transaction.recordChange(object: "requirement:\(customer)/\(id)", before: before, after: after)
            return after
        }
    }

    func getRequirement(
        request: Conform_Requirement_V1_GetRequirementRequest,
        context: ServerContext
    ) async throws -> Conform_Requirement_V1_Requirement {
        let call = try CallContext.required()
        let customer = try Codes.customer(request.customer)
        let id = try Codes.requirement(request.requirementID)
        try call.requireAccess(toCustomer: customer)
        guard let requirement = try await RequirementStore.find(customer: customer, id: id, in: self.database, logger: call.logger) else {
            throw DomainError.notFound("customer \(customer) has no requirement \(id)")
        }
        return requirement.message(on: Day.today, validations: try await self.validations())
    }

    func listRequirements(
        request: Conform_Requirement_V1_ListRequirementsRequest,
        context: ServerContext
    ) async throws -> Conform_Requirement_V1_ListRequirementsResponse {
        let call = try CallContext.required()
        let customer = try Codes.customer(request.customer)
        try call.requireAccess(toCustomer: customer)
        let page = try KeysetPage(size: request.pageSize, token: request.pageToken, scope: "ListRequirements|\(customer)")
        let rows = try await RequirementStore.list(customer: customer, after: page.after(0), limit: page.readLimit, in: self.database, logger: call.logger)
        if rows.isEmpty, page.after == nil, try await CustomerStore.find(code: customer, in: self.database, logger: call.logger) == nil {
            throw DomainError.notFound(CatalogRules.noCustomer(customer))
        }
        let (requirements, next) = page.finish(rows) { [$0.id] }
        let validations = try await self.validations()
        return .with {
            $0.requirements = requirements.map { $0.message(on: Day.today, validations: validations) }
            $0.nextPageToken = next
        }
    }

    func recordValidation(
        request: Conform_Requirement_V1_RecordValidationRequest,
        context: ServerContext
    ) async throws -> Conform_Requirement_V1_CapabilityValidation {
        let capability = try RequirementRules.capability(request.capability, field: "capability")
        let day = try Day.parse(request.validatedOn, field: "validated_on")
        let evidence = try FieldRules.text(request.evidenceReference, field: "evidence_reference", maxLength: 500)
        return try await self.writes.write(request) { transaction in
            let validation = CapabilityValidation(
                capability: capability, validatedOn: day, validatedBy: transaction.call.principal.name, evidenceReference: evidence
            )
            let micros = try await CatalogStore.recordValidation(validation, on: transaction.connection, logger: transaction.logger)
            let message = validation.message(recordedAtMicros: micros)
            try await transaction.recordCreation(of: message, object: "capability:\(capability)", event: "capability.validated")
            return message
        }
    }

    func listValidations(
        request: Conform_Requirement_V1_ListValidationsRequest,
        context: ServerContext
    ) async throws -> Conform_Requirement_V1_ListValidationsResponse {
        let call = try CallContext.required()
        let page = try KeysetPage(size: request.pageSize, token: request.pageToken, scope: "ListValidations")
        let rows = try await CatalogStore.validations(after: page.after(0), limit: page.readLimit, in: self.database, logger: call.logger)
        let (validations, next) = page.finish(rows) { [$0.0.capability] }
        return .with {
            $0.validations = validations.map { $0.0.message(recordedAtMicros: $0.1) }
            $0.nextPageToken = next
        }
    }

    func resolve(
        request: Conform_Requirement_V1_ResolveRequest,
        context: ServerContext
    ) async throws -> Conform_Requirement_V1_ResolveResponse {
        let call = try CallContext.required()
        let customer = try Codes.customer(request.customer)
        let code = try Codes.product(request.product)
        let day = request.date.isEmpty ? Day.today : try Day.parse(request.date, field: "date")
        try call.requireAccess(toCustomer: customer)
        guard let product = try await ProductStore.find(code: code, in: self.database, logger: call.logger) else {
            throw DomainError.notFound("no product \(code); ListProducts shows the products there are")
        }
        let standing = try await CatalogStore.standing(customer: customer, product: product.code, in: self.database, logger: call.logger)
        try CatalogRules.checkOrders(customer: customer, known: standing.known, orders: standing.orders, product: product.code)
        let requirements = try await RequirementStore.list(customer: customer, in: self.database, logger: call.logger)
        let resolved = RequirementResolution.resolve(
            requirements, product: product.code, family: product.family, on: day, validations: try await self.validations()
        )
        return .with {
            $0.date = day.description
            $0.requirements = resolved.map(\.message)
        }
    }

    func describeProduct(
        request: Conform_Requirement_V1_DescribeProductRequest,
        context: ServerContext
    ) async throws -> Conform_Requirement_V1_DescribeProductResponse {
        let (product, day, customers) = try await self.requirementsByCustomer(product: request.product, date: request.date)
        return .with {
            $0.product = Conform_Requirement_V1_Product(product)
            $0.date = day.description
            $0.customers = customers.map { customer in
                .with {
                    $0.customer = customer.code
                    $0.contractReferences = customer.contracts
                    $0.requirements = customer.resolved.map(\.message)
                }
            }
        }
    }

    func consolidateProduct(
        request: Conform_Requirement_V1_ConsolidateProductRequest,
        context: ServerContext
    ) async throws -> Conform_Requirement_V1_ConsolidateProductResponse {
        let (product, day, customers) = try await self.requirementsByCustomer(product: request.product, date: request.date)
        let resolved = customers.flatMap(\.resolved)
        let rules = Consolidation.merge(resolved.flatMap { requirement in
            requirement.version.evidenceRules.map { rule in
                (source: "\(requirement.requirement.customer)/\(requirement.requirement.id) v\(requirement.version.number)",
                 strength: requirement.requirement.strength, rule: rule)
            }
        })
        return .with {
            $0.product = Conform_Requirement_V1_Product(product)
            $0.date = day.description
            $0.requirements = resolved.map(\.message)
            $0.rules = rules.map { consolidated in
                .with {
                    $0.rule = consolidated.rule.message
                    $0.sources = consolidated.sources
                    $0.strength = consolidated.strength.message
                }
            }
        }
    }

    /// The product, the day, and each customer that orders the product with what it requires.
    private func requirementsByCustomer(
        product code: String,
        date: String
    ) async throws -> (Product, Day, [(code: String, contracts: [String], resolved: [ResolvedRequirement])]) {
        let call = try CallContext.required()
        let code = try Codes.product(code)
        let day = date.isEmpty ? Day.today : try Day.parse(date, field: "date")
        try await ProductScope.requireAccess(toProduct: code, call: call, database: self.database)
        guard let product = try await ProductStore.find(code: code, in: self.database, logger: call.logger) else {
            throw DomainError.notFound("no product \(code); ListProducts shows the products there are")
        }
        // A customer's principal sees its own customer's requirements on the product, no other's.
        let links = try await CatalogStore.links(customer: call.principal.customerScope, product: product.code, in: self.database, logger: call.logger)
        let validations = try await self.validations()
        var customers: [(code: String, contracts: [String], resolved: [ResolvedRequirement])] = []
        for (customer, customerLinks) in Dictionary(grouping: links, by: \.customer).sorted(by: { $0.key < $1.key }) {
            let requirements = try await RequirementStore.list(customer: customer, in: self.database, logger: call.logger)
            let resolved = RequirementResolution.resolve(requirements, product: product.code, family: product.family, on: day, validations: validations)
            customers.append((customer, customerLinks.map(\.contractReference).filter { !$0.isEmpty }, resolved))
        }
        return (product, day, customers)
    }

    /// Every recorded capability validation.
    func validations() async throws -> [CapabilityValidation] {
        let call = try CallContext.required()
        return try await CatalogStore.validations(in: self.database, logger: call.logger).map(\.0)
    }

    static func customerExists(_ code: String, on transaction: WriteTransaction) async throws -> Bool {
        let rows = try await transaction.connection.query("SELECT 1 FROM customers WHERE code = \(code)", logger: transaction.logger)
        for try await _ in rows { return true }
        return false
    }
}

/// The codes a catalog request names, checked and normalised, each error naming its field.
enum Codes {
    static func customer(_ text: String) throws -> String {
        try FieldRules.code(text, field: "customer", maxLength: CustomerRules.maxCodeLength)
    }

    static func product(_ text: String) throws -> String {
        try FieldRules.code(text, field: "product", maxLength: ProductRules.maxCodeLength)
    }

    static func requirement(_ text: String) throws -> String {
        try FieldRules.code(text, field: "requirement_id", maxLength: RequirementRules.maxIDLength)
    }
}

extension CatalogStore.Link {
    var message: Conform_Requirement_V1_CustomerProduct {
        .with {
            $0.customer = self.customer
            $0.product = self.product
            $0.contractReference = self.contractReference
            $0.createdAtMicros = self.createdAtMicros
            $0.createdBy = self.createdBy
        }
    }
}

extension CapabilityValidation {
    func message(recordedAtMicros: Int64) -> Conform_Requirement_V1_CapabilityValidation {
        .with {
            $0.capability = self.capability
            $0.validatedOn = self.validatedOn.description
            $0.validatedBy = self.validatedBy
            $0.evidenceReference = self.evidenceReference
            $0.recordedAtMicros = recordedAtMicros
        }
    }
}
