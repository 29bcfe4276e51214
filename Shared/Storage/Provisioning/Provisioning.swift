public import Logging
public import PostgresNIO

/// Creates what a service needs before it can start, as a database administrator: its
/// login role, its schema, and its audit trail (`AuditTrailSchema`).
///
/// The schema and the audit trail are owned by the administrator, not the service: the
/// service's role may create and own its other tables there, and may read and append to
/// the audit trail, but cannot update, delete, truncate, alter or drop it.
/// Everything here is idempotent; running it again updates the password.
public struct Provisioning: Sendable {
    /// The service's schema, e.g. "requirement".
    public let schema: String
    /// The service's login role, e.g. "conform_requirement".
    public let role: String
    public let password: String

    public init(schema: String, role: String, password: String) throws {
        for (what, name) in [("schema", schema), ("role", role)] where !Self.isPlainIdentifier(name) {
            throw ProvisioningError("the \(what) name '\(name)' must be lower-case letters, digits and '_', starting with a letter, at most 63 characters")
        }
        guard password.count >= 12, password.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) else {
            throw ProvisioningError("the password for role '\(role)' must be at least 12 characters of letters, digits, '-', '_' or '.'")
        }
        self.schema = schema
        self.role = role
        self.password = password
    }

    /// Runs the provisioning on `connection`, connected as an administrator to the service's database.
    public func apply(on connection: PostgresConnection, logger: Logger) async throws {
        let schema = self.schema
        let role = self.role
        let statements = [
            """
            DO $$ BEGIN
                IF EXISTS (SELECT FROM pg_roles WHERE rolname = '\(role)') THEN
                    ALTER ROLE \(role) LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '\(self.password)';
                ELSE
                    CREATE ROLE \(role) LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '\(self.password)';
                END IF;
            END $$
            """,
            "DO $$ BEGIN EXECUTE format('GRANT CONNECT ON DATABASE %I TO \(role)', current_database()); END $$",
            "CREATE SCHEMA IF NOT EXISTS \(schema)",
            "GRANT USAGE, CREATE ON SCHEMA \(schema) TO \(role)",
            "ALTER ROLE \(role) SET search_path = \(schema)",
        ] + AuditTrailSchema.statements(schema: schema, role: role)
        for statement in statements {
            do {
                try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
            } catch let error as PSQLError {
                throw ProvisioningError(
                    "provisioning schema '\(schema)' for role '\(role)' failed: \(error.serverInfo?[.message] ?? "\(error.code)")"
                )
            }
        }
    }

    /// An identifier that needs no quoting and cannot smuggle SQL.
    static func isPlainIdentifier(_ name: String) -> Bool {
        guard let first = name.first, first.isASCII, first.isLowercase, name.count <= 63 else { return false }
        return name.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "_") }
    }
}

/// Why provisioning could not be done.
public struct ProvisioningError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}
