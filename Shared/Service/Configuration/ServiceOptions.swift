public import ArgumentParser

/// The settings every service takes, as flags or environment variables (a flag wins).
/// `resolve` turns them into a `ServiceConfiguration`, failing with a message that names
/// the setting that is missing or bad.
public struct ServiceOptions: ParsableArguments, Sendable {
    @Option(help: "Address to listen on. [env: CONFORM_LISTEN_HOST; default: 127.0.0.1]")
    public var listenHost: String?

    @Option(help: "Port for the Conform wire protocol. [env: CONFORM_WIRE_PORT; default: the service's]")
    public var wirePort: Int?

    @Option(help: "Port for standard gRPC over HTTP/2. [env: CONFORM_GRPC_PORT; default: the service's]")
    public var grpcPort: Int?

    @Option(help: "Port for Prometheus metrics at /metrics (plain HTTP). [env: CONFORM_METRICS_PORT; default: the service's]")
    public var metricsPort: Int?

    @Option(help: "Port for grpc.health.v1 alone, plaintext, for Kubernetes' gRPC probes (ask \"liveness\" for liveness, \"\" for readiness). [env: CONFORM_PROBE_PORT; default: none]")
    public var probePort: Int?

    @Option(help: "Folder with ca.pem, <service>.pem and <service>-key.pem ('conform certs init' makes them). [env: CONFORM_TLS_DIR]")
    public var tlsDir: String?

    @Option(help: "PostgreSQL host. [env: CONFORM_DB_HOST; default: 127.0.0.1]")
    public var dbHost: String?

    @Option(help: "PostgreSQL port. [env: CONFORM_DB_PORT; default: 5432]")
    public var dbPort: Int?

    @Option(help: "PostgreSQL database. [env: CONFORM_DB_NAME; default: conform]")
    public var dbName: String?

    @Option(help: "The service's own PostgreSQL role. [env: CONFORM_DB_USER; default: conform_<service>]")
    public var dbUser: String?

    @Option(help: "File holding that role's password. [env: CONFORM_DB_PASSWORD_FILE, or the password itself in CONFORM_DB_PASSWORD]")
    public var dbPasswordFile: String?

    @Option(help: "The service's schema. [env: CONFORM_DB_SCHEMA; default: the service's name]")
    public var dbSchema: String?

    @Option(help: "Longest a database statement may run, in milliseconds. [env: CONFORM_DB_STATEMENT_TIMEOUT_MS; default: 10000]")
    public var dbStatementTimeoutMs: Int?

    @Option(help: "Longest to wait for a database connection, in milliseconds. [env: CONFORM_DB_CONNECT_TIMEOUT_MS; default: 5000]")
    public var dbConnectTimeoutMs: Int?

    @Option(help: "Require TLS to PostgreSQL. [env: CONFORM_DB_REQUIRE_TLS=1; default: off]")
    public var dbRequireTls: Bool?

    @Option(help: "Require TLS to PostgreSQL, verifying it against the CA in this PEM file. [env: CONFORM_DB_TLS_CA_FILE]")
    public var dbTlsCaFile: String?

    @Option(help: "trace, debug, info, notice, warning, error or critical. [env: CONFORM_LOG_LEVEL; default: info]")
    public var logLevel: String?

    @Option(help: "text (for people) or json (one object per line, for log collectors). [env: CONFORM_LOG_FORMAT; default: text]")
    public var logFormat: String?

    public init() {}
}
