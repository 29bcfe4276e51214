import ConformDomain
import ConformStorage
import Logging
import PostgresNIO

/// Products in the requirement schema.
enum ProductStore {
    /// Inserts a new product; ALREADY_EXISTS when the code is taken.
    static func insert(_ product: NewProduct, by principal: String, on connection: PostgresConnection, logger: Logger) async throws -> Product {
        let micros = Timestamps.nowMicros()
        do {
            try await connection.query(
                """
                INSERT INTO products (code, name, family, description, created_at_micros, created_by)
                VALUES (\(product.code), \(product.name), \(product.family), \(product.description), \(micros), \(principal))
                """,
                logger: logger
            )
        } catch let error as PSQLError where DatabaseError(classifying: error).kind == .uniqueViolation {
            throw DomainError.alreadyExists("a product with code '\(product.code)' already exists; choose another code, or read it with GetProduct")
        }
        return Product(
            code: product.code,
            name: product.name,
            family: product.family,
            description: product.description,
            createdAtMicros: micros,
            createdBy: principal
        )
    }

    static func find(code: String, in database: Database, logger: Logger) async throws -> Product? {
        try await database.read(logger: logger) { connection in
            let rows = try await connection.query(
                "SELECT \(unescaped: Self.columns) FROM products WHERE code = \(code)",
                logger: logger
            )
            return try await Self.decode(rows).first
        }
    }

    /// Products ordered by code after `after` (from the first when nil), at most `limit`,
    /// optionally of one family.
    static func list(after: String?, limit: Int, family: String?, in database: Database, logger: Logger) async throws -> [Product] {
        try await database.read(logger: logger) { connection in
            let rows = try await connection.query(
                """
                SELECT \(unescaped: Self.columns) FROM products
                WHERE (\(after)::text IS NULL OR code > \(after)) AND (\(family)::text IS NULL OR family = \(family))
                ORDER BY code LIMIT \(limit)
                """,
                logger: logger
            )
            return try await Self.decode(rows)
        }
    }

    private static let columns = "code, name, family, description, created_at_micros, created_by"

    private static func decode(_ rows: PostgresRowSequence) async throws -> [Product] {
        var products: [Product] = []
        for try await (code, name, family, description, micros, createdBy) in rows.decode(
            (String, String, String, String, Int64, String).self
        ) {
            products.append(
                Product(code: code, name: name, family: family, description: description, createdAtMicros: micros, createdBy: createdBy)
            )
        }
        return products
    }
}
