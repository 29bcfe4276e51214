public import Logging
public import PostgresNIO

/// Creates what a service needs before it can start, as a database administrator: its
/// login role, its schema, and its audit trail.
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
            """
            CREATE TABLE IF NOT EXISTS \(schema).audit_trail (
                sequence bigint PRIMARY KEY,
                recorded_at_micros bigint NOT NULL,
                principal text NOT NULL,
                action text NOT NULL,
                outcome text NOT NULL,
                object text NOT NULL,
                detail text NOT NULL,
                request_id text NOT NULL,
                previous_hash text NOT NULL,
                hash text NOT NULL
            )
            """,
            """
            CREATE OR REPLACE FUNCTION \(schema).audit_trail_is_append_only() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'the audit trail is append-only: % is not allowed', TG_OP
                    USING ERRCODE = 'insufficient_privilege';
            END $$
            """,
            "DROP TRIGGER IF EXISTS audit_trail_no_change ON \(schema).audit_trail",
            """
            CREATE TRIGGER audit_trail_no_change BEFORE UPDATE OR DELETE ON \(schema).audit_trail
            FOR EACH ROW EXECUTE FUNCTION \(schema).audit_trail_is_append_only()
            """,
            "DROP TRIGGER IF EXISTS audit_trail_no_truncate ON \(schema).audit_trail",
            """
            CREATE TRIGGER audit_trail_no_truncate BEFORE TRUNCATE ON \(schema).audit_trail
            FOR EACH STATEMENT EXECUTE FUNCTION \(schema).audit_trail_is_append_only()
            """,
            "REVOKE ALL ON \(schema).audit_trail FROM PUBLIC",
            "REVOKE ALL ON \(schema).audit_trail FROM \(role)",
            "GRANT SELECT, INSERT ON \(schema).audit_trail TO \(role)",
        ]
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
