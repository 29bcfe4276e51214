import ConformStorage
import Foundation
import Logging
import PostgresNIO

/// The throwaway PostgreSQL that dev/test.sh starts (dev/postgres.sh), as its environment
/// describes it. Every suite makes its own database and roles in it.
struct TestPostgres: Sendable {
    let admin: AdministratorSettings
    /// The cluster's folder, for dev/postgres.sh.
    let directory: String?

    static func fromEnvironment() throws -> TestPostgres {
        let environment = ProcessInfo.processInfo.environment
        guard let host = environment["CONFORM_PG_HOST"], let portText = environment["CONFORM_PG_PORT"], let port = Int(portText),
              let user = environment["CONFORM_PG_ADMIN_USER"]
        else {
            throw TestSetupError(
                "these tests need PostgreSQL: run them with dev/test.sh, which starts a private one, or export "
                    + "CONFORM_PG_HOST, CONFORM_PG_PORT, CONFORM_PG_ADMIN_USER and CONFORM_PG_ADMIN_PASSWORD ('dev/postgres.sh env DIR' prints them)"
            )
        }
        return TestPostgres(
            admin: AdministratorSettings(host: host, port: port, username: user, password: environment["CONFORM_PG_ADMIN_PASSWORD"]),
            directory: environment["CONFORM_PG_DIR"]
        )
    }

    /// A new database named for the suite, with `service`'s role and schema provisioned in it;
    /// returns the settings the service connects with.
    func makeServiceDatabase(suite: String, service: String = "requirement", logger: Logger = .test) async throws -> DatabaseSettings {
        let suffix = String(UInt32.random(in: .min ... .max), radix: 36)
        let name = "t_\(suite.lowercased().filter { $0.isLetter || $0.isNumber })_\(suffix)"
        let role = "\(name)_\(service)"
        let password = "pw" + UUID().uuidString.replacingOccurrences(of: "-", with: "")
        try await DatabaseAdministration.createDatabaseIfMissing(name, as: self.admin, logger: logger)
        try await DatabaseAdministration.provision(
            [try Provisioning(schema: service, role: role, password: password)],
            in: name,
            as: self.admin,
            logger: logger
        )
        return DatabaseSettings(
            host: self.admin.host,
            port: self.admin.port,
            database: name,
            username: role,
            password: password,
            schema: service,
            statementTimeout: .seconds(10),
            connectTimeout: .seconds(10),
            // Suites run in parallel against one server: keep each pool small.
            maximumConnections: 4,
            applicationName: "conform-test-\(suite)"
        )
    }

    /// Runs SQL as the administrator (a superuser) in `database`: how a test tampers.
    func asAdministrator<Result: Sendable>(
        in database: String,
        _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        try await DatabaseAdministration.withConnection(to: database, as: self.admin, logger: .test, body)
    }
}

struct TestSetupError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension Logger {
    /// Quiet unless CONFORM_TEST_LOG_LEVEL says otherwise.
    static var test: Logger {
        var logger = Logger(label: "conform.test")
        logger.logLevel = ProcessInfo.processInfo.environment["CONFORM_TEST_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .critical
        return logger
    }
}
