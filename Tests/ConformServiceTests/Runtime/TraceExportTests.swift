import Logging
import Testing

@testable import ConformService

/// Tracing's settings, checked before anything global is bootstrapped: these tests never
/// reach the bootstrap itself (the tracing test, dev/tracing-test.sh, runs it in real services).
@Suite("Trace export settings")
struct TraceExportTests {
    private func bootstrap(_ environment: [String: String]) throws -> Bool {
        try TraceExport.bootstrap(service: "requirement", logger: Logger(label: "test"), environment: environment) != nil
    }

    @Test("off unless an endpoint is set, or when it is empty or the exporter is none")
    func offByDefault() throws {
        #expect(try !self.bootstrap([:]))
        #expect(try !self.bootstrap(["OTEL_EXPORTER_OTLP_ENDPOINT": ""]))
        #expect(try !self.bootstrap(["OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4317", "OTEL_TRACES_EXPORTER": "none"]))
        #expect(try !self.bootstrap(["OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4317", "OTEL_SDK_DISABLED": "true"]))
    }

    @Test("what swift-otel cannot do is refused at start, naming the setting and what to use")
    func refusals() {
        let endpoint = ["OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4317"]
        let cases: [([String: String], String)] = [
            (endpoint.merging(["OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf"]) { $1 }, "OTEL_EXPORTER_OTLP_PROTOCOL"),
            (endpoint.merging(["OTEL_PROPAGATORS": "tracecontext,baggage"]) { $1 }, "OTEL_PROPAGATORS=tracecontext"),
            (endpoint.merging(["OTEL_TRACES_SAMPLER": "xray"]) { $1 }, "OTEL_TRACES_SAMPLER"),
            (endpoint.merging(["OTEL_TRACES_EXPORTER": "zipkin"]) { $1 }, "OTEL_TRACES_EXPORTER"),
            (["OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4317"], "http://HOST:PORT"),
        ]
        for (environment, named) in cases {
            let error = #expect(throws: ConfigurationError.self) { try self.bootstrap(environment) }
            #expect(error?.description.contains(named) == true, "\(error?.description ?? "no error") should name \(named)")
        }
    }

    @Test("a traceparent is taken only when well formed; anything else starts a trace of its own")
    func traceparentFormat() {
        #expect(MetadataExtractor.isTraceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"))
        #expect(!MetadataExtractor.isTraceparent("00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01"))
        #expect(!MetadataExtractor.isTraceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b71692033-01"))
        #expect(!MetadataExtractor.isTraceparent("garbage"))
        #expect(!MetadataExtractor.isTraceparent(""))
    }
}
