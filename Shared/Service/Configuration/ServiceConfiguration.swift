public import ConformRuntime
public import ConformWire
public import ConformStorage
public import Foundation
public import Logging

/// Everything a service needs to start, resolved and checked.
public struct ServiceConfiguration: Sendable {
    public var listenHost: String
    public var wirePort: Int
    public var grpcPort: Int
    public var metricsPort: Int
    /// The plaintext port serving only grpc.health.v1, for orchestrators' probes; nil: none.
    public var probePort: Int?
    public var tlsDirectory: String
    public var database: DatabaseSettings
    public var logLevel: Logger.Level
    public var logFormat: LogFormat
    /// Where the other services answer, for those this one asks.
    public var peerAddresses: [PeerService: PeerAddress]
    /// The environment the service was started with, for settings only one service reads
    /// (e.g. the reporting service's CONFORM_EXPORT_DIR).
    public var environment: [String: String]

    /// How log lines are written.
    public enum LogFormat: String, Sendable {
        case text
        case json
    }

    public init(
        listenHost: String,
        wirePort: Int,
        grpcPort: Int,
        metricsPort: Int,
        probePort: Int? = nil,
        tlsDirectory: String,
        database: DatabaseSettings,
        logLevel: Logger.Level,
        logFormat: LogFormat = .text,
        peerAddresses: [PeerService: PeerAddress] = [:],
        environment: [String: String] = [:]
    ) {
        self.listenHost = listenHost
        self.wirePort = wirePort
        self.grpcPort = grpcPort
        self.metricsPort = metricsPort
        self.probePort = probePort
        self.tlsDirectory = tlsDirectory
        self.database = database
        self.logLevel = logLevel
        self.logFormat = logFormat
        self.peerAddresses = peerAddresses
        self.environment = environment
    }
}

/// A setting that is missing or cannot be used.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension ServiceOptions {
    /// Resolves flags, then environment variables, then defaults, for `service`.
    public func resolve(
        for service: ServiceDefinition,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> ServiceConfiguration {
        let settings = SettingReader(environment: environment)
        let tlsDirectory = try settings.required(self.tlsDir, flag: "--tls-dir", env: "CONFORM_TLS_DIR")
        let password: String?
        if let file = self.dbPasswordFile ?? environment["CONFORM_DB_PASSWORD_FILE"] {
            guard let contents = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw ConfigurationError("cannot read the database password file '\(file)' (--db-password-file or CONFORM_DB_PASSWORD_FILE)")
            }
            password = contents.trimmingCharacters(in: .whitespacesAndNewlines)
        } else {
            password = environment["CONFORM_DB_PASSWORD"]
        }
        let schema = self.dbSchema ?? environment["CONFORM_DB_SCHEMA"] ?? service.name
        let database = DatabaseSettings(
            host: self.dbHost ?? environment["CONFORM_DB_HOST"] ?? "127.0.0.1",
            port: try settings.port(self.dbPort, flag: "--db-port", env: "CONFORM_DB_PORT", default: 5432),
            database: self.dbName ?? environment["CONFORM_DB_NAME"] ?? "conform",
            username: self.dbUser ?? environment["CONFORM_DB_USER"] ?? "conform_\(service.name)",
            password: password,
            schema: schema,
            statementTimeout: .milliseconds(
                try settings.positive(self.dbStatementTimeoutMs, flag: "--db-statement-timeout-ms", env: "CONFORM_DB_STATEMENT_TIMEOUT_MS", default: 10_000)
            ),
            connectTimeout: .milliseconds(
                try settings.positive(self.dbConnectTimeoutMs, flag: "--db-connect-timeout-ms", env: "CONFORM_DB_CONNECT_TIMEOUT_MS", default: 5_000)
            ),
            applicationName: "conform-\(service.name)",
            requireTLS: try self.dbRequireTls ?? EnvironmentSetting(environment).flag("CONFORM_DB_REQUIRE_TLS"),
            tlsTrustRootsFile: self.dbTlsCaFile ?? environment["CONFORM_DB_TLS_CA_FILE"]
        )
        let levelText = self.logLevel ?? environment["CONFORM_LOG_LEVEL"] ?? "info"
        guard let level = Logger.Level(rawValue: levelText.lowercased()) else {
            throw ConfigurationError("log level '\(levelText)' (--log-level or CONFORM_LOG_LEVEL) must be one of trace, debug, info, notice, warning, error, critical")
        }
        let formatText = self.logFormat ?? environment["CONFORM_LOG_FORMAT"] ?? "text"
        guard let format = ServiceConfiguration.LogFormat(rawValue: formatText.lowercased()) else {
            throw ConfigurationError("log format '\(formatText)' (--log-format or CONFORM_LOG_FORMAT) must be text or json")
        }
        var peers: [PeerService: PeerAddress] = [:]
        for peer in service.peers {
            if let text = environment[peer.addressVariable] {
                guard let address = PeerAddress(text) else {
                    throw ConfigurationError("\(peer.addressVariable) is '\(text)'; it must be HOST:PORT of the \(peer.rawValue) service")
                }
                peers[peer] = address
            } else {
                peers[peer] = PeerAddress(host: environment["CONFORM_HOST"] ?? "127.0.0.1", port: peer.defaultWirePort)
            }
        }
        return ServiceConfiguration(
            listenHost: self.listenHost ?? environment["CONFORM_LISTEN_HOST"] ?? "127.0.0.1",
            wirePort: try settings.port(self.wirePort, flag: "--wire-port", env: "CONFORM_WIRE_PORT", default: service.ports.wire),
            grpcPort: try settings.port(self.grpcPort, flag: "--grpc-port", env: "CONFORM_GRPC_PORT", default: service.ports.grpc),
            metricsPort: try settings.port(self.metricsPort, flag: "--metrics-port", env: "CONFORM_METRICS_PORT", default: service.ports.metrics),
            probePort: try settings.optionalPort(self.probePort, flag: "--probe-port", env: "CONFORM_PROBE_PORT"),
            tlsDirectory: tlsDirectory,
            database: database,
            logLevel: level,
            logFormat: format,
            peerAddresses: peers,
            environment: environment
        )
    }
}

/// Reads one setting from its flag or environment variable, naming both when it is wrong.
private struct SettingReader {
    let environment: [String: String]

    func required(_ flag: String?, flag name: String, env: String) throws -> String {
        guard let value = flag ?? self.environment[env], !value.isEmpty else {
            throw ConfigurationError("missing setting: pass \(name) or set \(env)")
        }
        return value
    }

    func port(_ flag: Int?, flag name: String, env: String, default value: Int) throws -> Int {
        let port = try self.integer(flag, flag: name, env: env) ?? value
        guard (0...65_535).contains(port) else {
            throw ConfigurationError("\(name) / \(env) is \(port); a port is 0 (any free port) to 65535")
        }
        return port
    }

    func optionalPort(_ flag: Int?, flag name: String, env: String) throws -> Int? {
        guard let port = try self.integer(flag, flag: name, env: env) else { return nil }
        guard (0...65_535).contains(port) else {
            throw ConfigurationError("\(name) / \(env) is \(port); a port is 0 (any free port) to 65535")
        }
        return port
    }

    func positive(_ flag: Int?, flag name: String, env: String, default value: Int) throws -> Int {
        let number = try self.integer(flag, flag: name, env: env) ?? value
        guard number > 0 else {
            throw ConfigurationError("\(name) / \(env) is \(number); it must be greater than 0")
        }
        return number
    }

    private func integer(_ flag: Int?, flag name: String, env: String) throws -> Int? {
        if let flag { return flag }
        guard let text = self.environment[env] else { return nil }
        guard let number = Int(text) else {
            throw ConfigurationError("\(env) is '\(text)'; it must be a whole number (or pass \(name))")
        }
        return number
    }
}

extension ServiceConfiguration {
    /// How often the sealer signs a checkpoint of the audit chain's head, if it grew
    /// (CONFORM_AUDIT_CHECKPOINT_MS, default 10 seconds; 0 signs after every round that grew).
    public func auditCheckpointInterval() throws -> Duration {
        .milliseconds(try EnvironmentSetting(self.environment).nonNegative("CONFORM_AUDIT_CHECKPOINT_MS", default: 10_000))
    }

    /// How long after it was recorded an entry may wait for the sealer before verification
    /// reports it, and a missing id is reported as a gap (CONFORM_AUDIT_SEALING_DEADLINE_MS,
    /// default 30 seconds).
    public func auditSealingDeadline() throws -> Duration {
        .milliseconds(try EnvironmentSetting(self.environment).nonNegative("CONFORM_AUDIT_SEALING_DEADLINE_MS", default: 30_000))
    }
}

extension ServiceConfiguration {
    /// What one caller may hold on either port (CONFORM_MAX_CONNECTIONS, default 4,096 per
    /// port; CONFORM_HANDSHAKE_TIMEOUT_MS, 10 s; CONFORM_IDLE_TIMEOUT_MS, 5 minutes;
    /// CONFORM_MAX_CONCURRENT_CALLS, 100 per connection; CONFORM_MAX_MESSAGE_BYTES, 4 MiB).
    public func connectionLimits() throws -> ConnectionLimits {
        let setting = EnvironmentSetting(self.environment)
        return ConnectionLimits(
            admission: ConnectionGuard.Limits(
                maxConnections: try setting.positive("CONFORM_MAX_CONNECTIONS", default: 4096),
                handshakeTimeout: .milliseconds(try setting.positive("CONFORM_HANDSHAKE_TIMEOUT_MS", default: 10_000))
            ),
            maxConcurrentCalls: try setting.positive("CONFORM_MAX_CONCURRENT_CALLS", default: 100),
            idleTimeout: .milliseconds(try setting.positive("CONFORM_IDLE_TIMEOUT_MS", default: 300_000)),
            maxMessageBytes: try setting.positive("CONFORM_MAX_MESSAGE_BYTES", default: 4 * 1024 * 1024)
        )
    }

    /// How long idempotency keys are kept (CONFORM_IDEMPOTENCY_KEY_DAYS, default 30), and how
    /// often expired ones and other leftovers are swept (CONFORM_HOUSEKEEPING_MS, default 1 hour).
    public func housekeeping() throws -> (keysKeptFor: Duration, interval: Duration) {
        let setting = EnvironmentSetting(self.environment)
        return (
            .seconds(try setting.positive("CONFORM_IDEMPOTENCY_KEY_DAYS", default: 30) * 86_400),
            .milliseconds(try setting.positive("CONFORM_HOUSEKEEPING_MS", default: 3_600_000))
        )
    }
}

/// A whole-number setting from the environment, checked: a value that is not one is an
/// error naming the variable, never silently the default.
public struct EnvironmentSetting: Sendable {
    let environment: [String: String]

    public init(_ environment: [String: String]) {
        self.environment = environment
    }

    public func positive(_ name: String, default value: Int) throws -> Int {
        guard let text = self.environment[name] else { return value }
        guard let number = Int(text), number > 0 else {
            throw ConfigurationError("\(name) is '\(text)'; it must be a whole number greater than 0")
        }
        return number
    }

    public func nonNegative(_ name: String, default value: Int) throws -> Int {
        guard let text = self.environment[name] else { return value }
        guard let number = Int(text), number >= 0 else {
            throw ConfigurationError("\(name) is '\(text)'; it must be a whole number, 0 or more")
        }
        return number
    }

    /// A switch: 1, true or yes turn it on; 0, false or no (or unset) leave it off.
    public func flag(_ name: String) throws -> Bool {
        guard let text = self.environment[name] else { return false }
        switch text.lowercased() {
        case "1", "true", "yes": return true
        case "0", "false", "no", "": return false
        default: throw ConfigurationError("\(name) is '\(text)'; it must be 1 or 0 (true or false)")
        }
    }
}
