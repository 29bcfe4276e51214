import ConformDomain
import ConformStorage
import Foundation
import Logging
import PostgresNIO

/// Customers in the requirement schema.
enum CustomerStore {
    /// Inserts a new customer; ALREADY_EXISTS when the code is taken.
    static func insert(_ customer: NewCustomer, by principal: String, on connection: PostgresConnection, logger: Logger) async throws -> Customer {
        let micros = Timestamps.nowMicros()
        let contacts = String(decoding: try JSONEncoder().encode(customer.contacts), as: UTF8.self)
        do {
            try await connection.query(
                """
                INSERT INTO customers (code, name, industry, contacts, notes, created_at_micros, created_by)
                VALUES (\(customer.code), \(customer.name), \(customer.industry.rawValue), \(contacts), \(customer.notes), \(micros), \(principal))
                """,
                logger: logger
            )
        } catch let error as PSQLError where DatabaseError(classifying: error).kind == .uniqueViolation {
            throw DomainError.alreadyExists("a customer with code '\(customer.code)' already exists; choose another code, or read it with GetCustomer")
        }
        return Customer(
            code: customer.code,
            name: customer.name,
            industry: customer.industry,
            contacts: customer.contacts,
            notes: customer.notes,
            createdAtMicros: micros,
            createdBy: principal
        )
    }

    static func find(code: String, in database: Database, logger: Logger) async throws -> Customer? {
        try await database.read(logger: logger) { connection in
            let rows = try await connection.query(
                "SELECT \(unescaped: Self.columns) FROM customers WHERE code = \(code)",
                logger: logger
            )
            return try await Self.decode(rows).first
        }
    }

    /// Customers ordered by code after `after` (from the first when nil), at most `limit`;
    /// `only` restricts to one code (a customer-scoped caller).
    static func list(after: String?, limit: Int, only: String?, in database: Database, logger: Logger) async throws -> [Customer] {
        try await database.read(logger: logger) { connection in
            let rows = try await connection.query(
                """
                SELECT \(unescaped: Self.columns) FROM customers
                WHERE (\(after)::text IS NULL OR code > \(after)) AND (\(only)::text IS NULL OR code = \(only))
                ORDER BY code LIMIT \(limit)
                """,
                logger: logger
            )
            return try await Self.decode(rows)
        }
    }

    private static let columns = "code, name, industry, contacts, notes, created_at_micros, created_by"

    private static func decode(_ rows: PostgresRowSequence) async throws -> [Customer] {
        var customers: [Customer] = []
        for try await (code, name, industry, contacts, notes, micros, createdBy) in rows.decode(
            (String, String, String, String, String, Int64, String).self
        ) {
            guard let industry = Industry(rawValue: industry) else {
                throw DatabaseError(.failed, "customer \(code) has an unknown industry '\(industry)'")
            }
            customers.append(
                Customer(
                    code: code,
                    name: name,
                    industry: industry,
                    contacts: try JSONDecoder().decode([Contact].self, from: Data(contacts.utf8)),
                    notes: notes,
                    createdAtMicros: micros,
                    createdBy: createdBy
                )
            )
        }
        return customers
    }
}
