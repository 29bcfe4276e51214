public import Logging
import NIOSSL
public import PostgresNIO

/// Where a service's database is and how to talk to it.
public struct DatabaseSettings: Sendable {
    public var host: String
    public var port: Int
    public var database: String
    /// The service's own role: it owns the service's tables and can touch nothing else.
    public var username: String
    public var password: String?
    /// The schema the service owns; every query runs with it as the search path.
    public var schema: String
    /// A query running longer than this is cancelled by the server.
    public var statementTimeout: Duration
    /// How long to wait for a connection before a call fails as unavailable.
    public var connectTimeout: Duration
    public var maximumConnections: Int
    /// Names the connections in `pg_stat_activity`.
    public var applicationName: String
    /// Require TLS to PostgreSQL, verifying the server against the system roots.
    public var requireTLS: Bool
    /// Require TLS to PostgreSQL, verifying the server against the CA in this PEM file
    /// (the deployment's own CA); implies `requireTLS`.
    public var tlsTrustRootsFile: String?

    public init(
        host: String,
        port: Int = 5432,
        database: String,
        username: String,
        password: String?,
        schema: String,
        statementTimeout: Duration = .seconds(10),
        connectTimeout: Duration = .seconds(5),
        maximumConnections: Int = 10,
        applicationName: String = "conform",
        requireTLS: Bool = false,
        tlsTrustRootsFile: String? = nil
    ) {
        self.host = host
        self.port = port
        self.database = database
        self.username = username
        self.password = password
        self.schema = schema
        self.statementTimeout = statementTimeout
        self.connectTimeout = connectTimeout
        self.maximumConnections = maximumConnections
        self.applicationName = applicationName
        self.requireTLS = requireTLS
        self.tlsTrustRootsFile = tlsTrustRootsFile
    }

    private var tls: PostgresClient.Configuration.TLS {
        if let file = self.tlsTrustRootsFile {
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.trustRoots = .file(file)
            return .require(configuration)
        }
        return self.requireTLS ? .require(.makeClientConfiguration()) : .disable
    }

    /// The PostgresNIO client configuration these settings describe.
    public var clientConfiguration: PostgresClient.Configuration {
        var configuration = PostgresClient.Configuration(
            host: self.host,
            port: self.port,
            username: self.username,
            password: self.password,
            database: self.database,
            tls: self.tls
        )
        configuration.options.connectTimeout = self.connectTimeout
        configuration.options.maximumConnections = self.maximumConnections
        // PostgresNIO has no per-query timeout; the server enforces one for every statement.
        configuration.options.additionalStartupParameters = [
            ("search_path", self.schema),
            ("statement_timeout", "\(self.statementTimeout.milliseconds)"),
            ("lock_timeout", "\(self.statementTimeout.milliseconds)"),
            ("application_name", self.applicationName),
            ("TimeZone", "UTC"),
        ]
        return configuration
    }
}

extension Duration {
    /// Whole milliseconds, rounded down.
    public var milliseconds: Int64 {
        let (seconds, attoseconds) = self.components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
