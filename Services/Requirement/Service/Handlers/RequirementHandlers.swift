import ConformDomain
import ConformProtos
import ConformService
import ConformStorage
import GRPCCore

/// The wire side of the requirement service: messages in, domain rules and store, messages out.
struct RequirementHandlers: Conform_Requirement_V1_RequirementService.SimpleServiceProtocol {
    let database: Database
    let writes: Writes

    init(database: Database) {
        self.database = database
        self.writes = Writes(database: database)
    }

    func createCustomer(
        request: Conform_Requirement_V1_CreateCustomerRequest,
        context: ServerContext
    ) async throws -> Conform_Requirement_V1_Customer {
        let customer = try CustomerRules.validate(
            code: request.code,
            name: request.name,
            industry: Industry(request.industry),
            contacts: request.contacts.map { Contact(name: $0.name, email: $0.email, role: $0.role) },
            notes: request.notes
        )
        return try await self.writes.write(request) { transaction in
            let created = try await CustomerStore.insert(customer, by: transaction.call.principal.name, on: transaction.connection, logger: transaction.logger)
            let message = Conform_Requirement_V1_Customer(created)
            try await transaction.recordCreation(of: message, object: "customer:\(created.code)", event: "customer.created")
            return message
        }
    }

    func getCustomer(
        request: Conform_Requirement_V1_GetCustomerRequest,
        context: ServerContext
    ) async throws -> Conform_Requirement_V1_Customer {
        let call = try CallContext.required()
        let code = try FieldRules.code(request.code, field: "code", maxLength: CustomerRules.maxCodeLength)
        try call.requireAccess(toCustomer: code)
        guard let customer = try await CustomerStore.find(code: code, in: self.database, logger: call.logger) else {
            throw DomainError.notFound("no customer with code '\(code)'; ListCustomers shows the customers there are")
        }
        return Conform_Requirement_V1_Customer(customer)
    }

    func listCustomers(
        request: Conform_Requirement_V1_ListCustomersRequest,
        context: ServerContext
    ) async throws -> Conform_Requirement_V1_ListCustomersResponse {
        let call = try CallContext.required()
        let only = call.principal.customerScope?.uppercased()
        let page = try KeysetPage(size: request.pageSize, token: request.pageToken, scope: "ListCustomers|\(only ?? "")")
        let rows = try await CustomerStore.list(after: page.after(0), limit: page.readLimit, only: only, in: self.database, logger: call.logger)
        let (customers, next) = page.finish(rows) { [$0.code] }
        return .with {
            $0.customers = customers.map(Conform_Requirement_V1_Customer.init)
            $0.nextPageToken = next
        }
    }

    func createProduct(
        request: Conform_Requirement_V1_CreateProductRequest,
        context: ServerContext
    ) async throws -> Conform_Requirement_V1_Product {
        let product = try ProductRules.validate(code: request.code, name: request.name, family: request.family, description: request.description_p)
        return try await self.writes.write(request) { transaction in
            let created = try await ProductStore.insert(product, by: transaction.call.principal.name, on: transaction.connection, logger: transaction.logger)
            let message = Conform_Requirement_V1_Product(created)
            try await transaction.recordCreation(of: message, object: "product:\(created.code)", event: "product.created")
            return message
        }
    }

    func getProduct(
        request: Conform_Requirement_V1_GetProductRequest,
        context: ServerContext
    ) async throws -> Conform_Requirement_V1_Product {
        let call = try CallContext.required()
        let code = try FieldRules.code(request.code, field: "code", maxLength: ProductRules.maxCodeLength)
        try await ProductScope.requireAccess(toProduct: code, call: call, database: self.database)
        guard let product = try await ProductStore.find(code: code, in: self.database, logger: call.logger) else {
            throw DomainError.notFound("no product with code '\(code)'; ListProducts shows the products there are")
        }
        return Conform_Requirement_V1_Product(product)
    }

    func listProducts(
        request: Conform_Requirement_V1_ListProductsRequest,
        context: ServerContext
    ) async throws -> Conform_Requirement_V1_ListProductsResponse {
        let call = try CallContext.required()
        let family = request.family.isEmpty ? nil : try FieldRules.code(request.family, field: "family", maxLength: ProductRules.maxCodeLength)
        let page = try KeysetPage(size: request.pageSize, token: request.pageToken, scope: "ListProducts|\(family ?? "")")
        let rows = try await ProductStore.list(after: page.after(0), limit: page.readLimit, family: family, in: self.database, logger: call.logger)
        let (products, next) = page.finish(rows) { [$0.code] }
        return .with {
            $0.products = products.map(Conform_Requirement_V1_Product.init)
            $0.nextPageToken = next
        }
    }
}
