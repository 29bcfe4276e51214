import ConformDomain
import ConformStorage
import Logging
import PostgresNIO

/// Orders and per-product consolidation in the batch schema.
enum OrderStore {
    static func insert(_ order: Order, by principal: String, on connection: PostgresConnection, logger: Logger) async throws {
        do {
            try await connection.query(
                """
                INSERT INTO orders (reference, customer, product, quantity, created_at_micros, created_by)
                VALUES (\(order.reference), \(order.customer), \(order.product), \(order.quantity), \(Timestamps.nowMicros()), \(principal))
                """,
                logger: logger
            )
        } catch let error as PSQLError where DatabaseError(classifying: error).kind == .uniqueViolation {
            throw DomainError.alreadyExists("order \(order.reference) exists already; GetOrder shows it")
        }
    }

    static func find(_ reference: String, in database: Database, logger: Logger) async throws -> (Order, Int64, String)? {
        try await Self.list(reference: reference, customer: nil, in: database, logger: logger).first
    }

    /// Orders in reference order after `after` (from the first when nil), at most `limit` (all when nil).
    static func list(
        reference: String?, customer: String?, after: String? = nil, limit: Int? = nil, in database: Database, logger: Logger
    ) async throws -> [(Order, Int64, String)] {
        try await database.read(logger: logger) { connection in
            let rows = try await connection.query(
                """
                SELECT reference, customer, product, quantity, created_at_micros, created_by FROM orders
                WHERE (\(reference)::text IS NULL OR reference = \(reference)) AND (\(customer)::text IS NULL OR customer = \(customer))
                  AND (\(after)::text IS NULL OR reference > \(after))
                ORDER BY reference
                LIMIT \(limit)
                """,
                logger: logger
            )
            var orders: [(Order, Int64, String)] = []
            for try await (reference, customer, product, quantity, micros, by) in rows.decode((String, String, String, Int, Int64, String).self) {
                orders.append((Order(reference: reference, customer: customer, product: product, quantity: quantity), micros, by))
            }
            return orders
        }
    }

    static func setMode(product: String, consolidated: Bool, by principal: String, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(
            """
            INSERT INTO product_modes (product, consolidated, set_by, set_at_micros)
            VALUES (\(product), \(consolidated), \(principal), \(Timestamps.nowMicros()))
            ON CONFLICT (product) DO UPDATE SET consolidated = EXCLUDED.consolidated, set_by = EXCLUDED.set_by, set_at_micros = EXCLUDED.set_at_micros
            """,
            logger: logger
        )
    }

    /// Whether batches of `product` carry every customer's requirements.
    static func isConsolidated(_ product: String, on connection: PostgresConnection, logger: Logger) async throws -> Bool {
        let rows = try await connection.query("SELECT consolidated FROM product_modes WHERE product = \(product)", logger: logger)
        for try await consolidated in rows.decode(Bool.self) { return consolidated }
        return false
    }
}
