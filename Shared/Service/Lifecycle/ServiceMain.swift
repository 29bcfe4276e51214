import ArgumentParser
import Foundation
import Logging
import Metrics
import Prometheus
import ServiceLifecycle

/// The body of every service executable: resolve the settings, set up logging and metrics,
/// run until SIGTERM or SIGINT.
public enum ServiceMain {
    public static func run(_ definition: ServiceDefinition, options: ServiceOptions) async throws {
        let configuration: ServiceConfiguration
        do {
            configuration = try options.resolve(for: definition)
        } catch let error as ConfigurationError {
            throw ValidationError(error.description)
        }
        let level = configuration.logLevel
        switch configuration.logFormat {
        case .text:
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
        case .json:
            LoggingSystem.bootstrap { label in JSONLogHandler(label: label, logLevel: level) }
        }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let logger = Logger(label: "conform.\(definition.name)")
        let tracing: (any Service)?
        do {
            tracing = try TraceExport.bootstrap(service: definition.name, logger: logger, environment: configuration.environment)
        } catch {
            throw ValidationError("tracing (OTEL_* settings): \(error)")
        }
        let host: ServiceHost
        do {
            host = try ServiceHost(definition: definition, configuration: configuration, registry: registry, tracing: tracing, logger: logger)
        } catch let error as ConfigurationError {
            throw ValidationError(error.description)
        }
        let announce = Task {
            let ports = try await host.listeningPorts()
            let metrics = try await host.metricsPort()
            var addresses: Logger.Metadata = [
                "wire": "\(configuration.listenHost):\(ports.wire)",
                "grpc": "\(configuration.listenHost):\(ports.grpc)",
                "metrics": "http://\(configuration.listenHost):\(metrics)/metrics",
            ]
            if configuration.probePort != nil {
                addresses["probes"] = "\(configuration.listenHost):\(try await host.probePort())"
            }
            logger.notice("serving", metadata: addresses)
        }
        defer { announce.cancel() }
        try await host.run()
    }

    /// The part of `--help` every service shares.
    private static func peersText(_ definition: ServiceDefinition) -> String {
        guard !definition.peers.isEmpty else { return "" }
        let peers = definition.peers.map { "\($0.rawValue) at \($0.addressVariable) (default CONFORM_HOST:\($0.defaultWirePort))" }
        return "\n\nIt asks the " + peers.joined(separator: ", the ") + ", presenting its own certificate."
    }

    public static func discussion(for definition: ServiceDefinition, api: String) -> String {
        """
        \(api)

        Every Conform service also serves grpc.health.v1.Health, its event feed \
        (conform.events.v1.EventFeed) and its audit trail (conform.audit.v1.AuditTrail), over the \
        Conform wire (default port \(definition.ports.wire)) and standard gRPC over HTTP/2 \
        (\(definition.ports.grpc)), both with mutual TLS; Prometheus metrics at \
        http://HOST:\(definition.ports.metrics)/metrics; with --probe-port, grpc.health.v1 alone in \
        plaintext for Kubernetes' gRPC probes. It connects to PostgreSQL as its own role, \
        applies its migrations at start, and drains gracefully on SIGTERM.\(Self.peersText(definition))
        """
    }
}
