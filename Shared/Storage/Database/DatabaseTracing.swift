import Tracing

extension Database {
    /// `body` as one client span, when it is part of a traced call; work outside any trace
    /// (pollers, the sealer, sweeps) makes none. A failure marks the span (withSpan records it).
    func traced<Result: Sendable>(_ operation: String, _ body: () async throws -> Result) async throws -> Result {
        guard let parent = ServiceContext.current else { return try await body() }
        let settings = self.settings
        return try await withSpan("\(operation) \(settings.schema)", context: parent, ofKind: .client) { span in
            span.updateAttributes { attributes in
                attributes["db.system"] = "postgresql"          // semconv < 1.26
                attributes["db.system.name"] = "postgresql"     // semconv >= 1.26
                attributes["db.namespace"] = settings.database
                attributes["db.operation.name"] = operation
                attributes["server.address"] = settings.host
                attributes["server.port"] = settings.port
                attributes["conform.db.schema"] = settings.schema
            }
            return try await body()
        }
    }
}

enum DatabaseTracing {
    /// Marks the current span: a read ran again on a fresh connection.
    static func retried() {
        guard let context = ServiceContext.current,
              let span = InstrumentationSystem.tracer.activeSpan(identifiedBy: context) else { return }
        span.addEvent("retried on a fresh connection")
    }
}
