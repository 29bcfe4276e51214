import Foundation
public import Logging
import OTel
public import ServiceLifecycle


/// Distributed tracing over OTLP/gRPC: off unless OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or
/// OTEL_EXPORTER_OTLP_ENDPOINT names a collector. Logs and metrics stay ours (swift-log,
/// Prometheus): only the tracer (InstrumentationSystem) is bootstrapped.
public enum TraceExport {
    /// Bootstraps the process's tracer and returns the service that exports its spans (run it
    /// first in the group, so it stops last and flushes), or nil when tracing is off.
    public static func bootstrap(
        service name: String, logger: Logger, environment: [String: String]
    ) throws -> (any Service)? {
        func value(_ key: String) -> String? { environment[key].flatMap { $0.isEmpty ? nil : $0 } }
        guard let endpoint = value("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") ?? value("OTEL_EXPORTER_OTLP_ENDPOINT") else { return nil }
        if value("OTEL_SDK_DISABLED")?.lowercased() == "true" { return nil }
        switch value("OTEL_TRACES_EXPORTER")?.lowercased() {
        case nil, "otlp": break
        case "none": return nil
        case let other?: throw ConfigurationError("OTEL_TRACES_EXPORTER=\(other): Conform exports traces over otlp only")
        }
        if let wire = value("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") ?? value("OTEL_EXPORTER_OTLP_PROTOCOL"), wire != "grpc" {
            // Built with swift-otel's OTLPGRPC trait alone: http/protobuf would be a fatalError in OTel.
            throw ConfigurationError("OTEL_EXPORTER_OTLP_PROTOCOL=\(wire): Conform exports over grpc only")
        }
        guard let url = URLComponents(string: endpoint), url.scheme == "http" || url.scheme == "https", url.host != nil, url.port != nil else {
            throw ConfigurationError("OTLP endpoint \(endpoint): give it as http://HOST:PORT (plaintext) or https://HOST:PORT")
        }
        // swift-otel stops the process (fatalError) on propagators and samplers it lacks: refused
        // here instead, with the value to use.
        if let propagators = value("OTEL_PROPAGATORS") {
            let unsupported = propagators.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { $0 != "tracecontext" && $0 != "none" }
            guard unsupported.isEmpty else {
                throw ConfigurationError("OTEL_PROPAGATORS=\(propagators): Conform carries W3C trace context only; set OTEL_PROPAGATORS=tracecontext")
            }
        }
        if let sampler = value("OTEL_TRACES_SAMPLER"), ["jaeger_remote", "parentbased_jaeger_remote", "xray"].contains(sampler) {
            throw ConfigurationError("OTEL_TRACES_SAMPLER=\(sampler) is not available; use always_on, always_off, traceidratio or their parentbased_ forms")
        }
        var configuration = OTel.Configuration.default
        configuration.serviceName = "conform-\(name)"          // OTEL_SERVICE_NAME still wins
        configuration.resourceAttributes = ["service.namespace": "conform"]
        configuration.diagnosticLogger = .custom(logger)         // through our log handler (JSON or text)
        configuration.logs.enabled = false
        configuration.metrics.enabled = false
        configuration.traces.exporter = .otlp
        configuration.traces.otlpExporter.protocol = .grpc      // swift-otel's default is http/protobuf
        configuration.traces.otlpExporter.endpoint = endpoint
        // A collector that is away must not hold a drained service past its grace period:
        // spans wait at most 3 s to leave (OTEL_BSP_EXPORT_TIMEOUT still wins).
        configuration.traces.batchSpanProcessor.exportTimeout = .seconds(3)
        // OTEL_SDK_DISABLED=false would turn logs and metrics back on, and bootstrapping
        // swift-log or swift-metrics twice crashes: it was read above and is not passed on.
        // Empty OTEL_* values count as unset here; swift-otel would take an empty endpoint as given.
        var passed = environment.filter { !($0.key.hasPrefix("OTEL_") && $0.value.isEmpty) }
        passed["OTEL_SDK_DISABLED"] = nil
        return try OTel.bootstrap(configuration: configuration, environment: passed)
    }
}

