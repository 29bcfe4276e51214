import ConformDomain
import ConformStorage
import Logging
import PostgresNIO

/// Who orders what, and which capabilities quality engineering has validated.
enum CatalogStore {
    struct Link: Sendable, Equatable {
        var customer: String
        var product: String
        var contractReference: String
        var createdAtMicros: Int64
        var createdBy: String
    }

    static func link(customer: String, product: String, contract: String, by principal: String, on connection: PostgresConnection, logger: Logger) async throws -> Link {
        // Which of the two is missing, before the insert (a foreign key names only the first).
        let known = try await connection.query(
            "SELECT EXISTS (SELECT 1 FROM customers WHERE code = \(customer)), EXISTS (SELECT 1 FROM products WHERE code = \(product))",
            logger: logger
        )
        for try await (customerKnown, productKnown) in known.decode((Bool, Bool).self) {
            try CatalogRules.checkLinkable(customer: customer, known: customerKnown, product: product, known: productKnown)
        }
        let micros = Timestamps.nowMicros()
        do {
            try await connection.query(
                """
                INSERT INTO customer_products (customer, product, contract_reference, created_at_micros, created_by)
                VALUES (\(customer), \(product), \(contract), \(micros), \(principal))
                """,
                logger: logger
            )
        } catch let error as PSQLError {
            let classified = DatabaseError(classifying: error)
            if classified.kind == .uniqueViolation {
                throw DomainError.alreadyExists("customer \(customer) already orders product \(product) under '\(contract)'")
            }
            if error.serverInfo?[.sqlState] == "23503" {
                // Deleted between the check and the insert.
                throw DomainError.notFound("customer \(customer) or product \(product) was removed while it was being linked; check both and link again")
            }
            throw error
        }
        return Link(customer: customer, product: product, contractReference: contract, createdAtMicros: micros, createdBy: principal)
    }

    /// Whether `customer` exists, and whether it orders `product`.
    static func standing(customer: String, product: String, in database: Database, logger: Logger) async throws -> (known: Bool, orders: Bool) {
        try await database.read(logger: logger) { connection in
            let rows = try await connection.query(
                """
                SELECT EXISTS (SELECT 1 FROM customers WHERE code = \(customer)),
                       EXISTS (SELECT 1 FROM customer_products WHERE customer = \(customer) AND product = \(product))
                """,
                logger: logger
            )
            for try await (known, orders) in rows.decode((Bool, Bool).self) { return (known, orders) }
            return (false, false)
        }
    }

    /// Links (of a customer, of a product) by customer, product and contract reference: those
    /// after the link (`afterCustomer`, `afterProduct`, `afterContract`), at most `limit` (every one when nil).
    static func links(
        customer: String?, product: String?, afterCustomer: String? = nil, afterProduct: String? = nil, afterContract: String? = nil,
        limit: Int? = nil, in database: Database, logger: Logger
    ) async throws -> [Link] {
        try await database.read(logger: logger) { connection in
            let rows = try await connection.query(
                """
                SELECT customer, product, contract_reference, created_at_micros, created_by FROM customer_products
                WHERE (\(customer)::text IS NULL OR customer = \(customer)) AND (\(product)::text IS NULL OR product = \(product))
                  AND (\(afterCustomer)::text IS NULL
                       OR (customer, product, contract_reference) > (\(afterCustomer)::text, \(afterProduct)::text, \(afterContract)::text))
                ORDER BY customer, product, contract_reference
                LIMIT \(limit)
                """,
                logger: logger
            )
            var links: [Link] = []
            for try await (customer, product, contract, micros, by) in rows.decode((String, String, String, Int64, String).self) {
                links.append(Link(customer: customer, product: product, contractReference: contract, createdAtMicros: micros, createdBy: by))
            }
            return links
        }
    }

    static func recordValidation(_ validation: CapabilityValidation, on connection: PostgresConnection, logger: Logger) async throws -> Int64 {
        let micros = Timestamps.nowMicros()
        do {
            try await connection.query(
                """
                INSERT INTO capability_validations (capability, validated_on, validated_by, evidence_reference, recorded_at_micros)
                VALUES (\(validation.capability), \(validation.validatedOn.description)::date, \(validation.validatedBy),
                        \(validation.evidenceReference), \(micros))
                """,
                logger: logger
            )
        } catch let error as PSQLError where DatabaseError(classifying: error).kind == .uniqueViolation {
            throw DomainError.alreadyExists("capability \(validation.capability) is already validated; ListValidations shows when and by whom")
        }
        return micros
    }

    /// Validations by capability: those after capability `after`, at most `limit` (every one when nil).
    static func validations(after: String? = nil, limit: Int? = nil, in database: Database, logger: Logger) async throws -> [(CapabilityValidation, Int64)] {
        try await database.read(logger: logger) { connection in
            let rows = try await connection.query(
                """
                SELECT capability, validated_on::text, validated_by, evidence_reference, recorded_at_micros FROM capability_validations
                WHERE \(after)::text IS NULL OR capability > \(after)
                ORDER BY capability LIMIT \(limit)
                """,
                logger: logger
            )
            var validations: [(CapabilityValidation, Int64)] = []
            for try await (capability, day, by, evidence, micros) in rows.decode((String, String, String, String, Int64).self) {
                guard let validatedOn = Day(day) else { throw DatabaseError(.failed, "validation of \(capability) has a bad date '\(day)'") }
                validations.append((CapabilityValidation(capability: capability, validatedOn: validatedOn, validatedBy: by, evidenceReference: evidence), micros))
            }
            return validations
        }
    }
}
