import ArgumentParser
import ConformRuntime
import ConformWire
import Foundation
import GRPCCore

/// How the CLI reaches a service and who it says it is: flags, else environment, else defaults.
struct ConnectionOptions: ParsableArguments {
    @Option(help: "The service's HOST:PORT (Conform wire). [env: CONFORM_<SERVICE>_ADDRESS; default: CONFORM_HOST (127.0.0.1) and the service's port]")
    var address: String?

    @Option(name: .customLong("tls-dir"), help: "Folder with ca.pem and the principal's certificate and key. [env: CONFORM_TLS_DIR; default: .conform/tls]")
    var tlsDirectory: String?

    @Option(name: .customLong("as"), help: "The principal to act as: uses <name>.pem and <name>-key.pem in the TLS folder. [env: CONFORM_PRINCIPAL; default: quality-engineer]")
    var principal: String?

    @Option(help: "Give up after this many seconds.")
    var timeout: Double = 10

    @Flag(help: "Print JSON for scripts instead of tables.")
    var json = false

    var environment: [String: String] { ProcessInfo.processInfo.environment }

    var tlsFolder: String { self.tlsDirectory ?? self.environment["CONFORM_TLS_DIR"] ?? ".conform/tls" }
    var principalName: String { self.principal ?? self.environment["CONFORM_PRINCIPAL"] ?? "quality-engineer" }

    /// The host and port of `service`.
    func endpoint(of service: ServiceName) throws -> (host: String, port: Int) {
        let text = self.address ?? self.environment[service.addressVariable]
        guard let text else {
            return (self.environment["CONFORM_HOST"] ?? "127.0.0.1", service.defaultWirePort)
        }
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (1...65_535).contains(port) else {
            throw ValidationError("'\(text)' is not HOST:PORT (from --address or \(service.addressVariable))")
        }
        return (String(text[..<colon]), port)
    }

    /// The principal's TLS identity from the TLS folder.
    func identity() throws -> ServiceTLS {
        let folder = self.tlsFolder
        func read(_ file: String) throws -> String {
            let path = (folder as NSString).appendingPathComponent(file)
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw ValidationError(
                    "cannot read \(path). Make certificates with 'conform certs init --dir \(folder)', "
                        + "or name another principal with --as / CONFORM_PRINCIPAL, or another folder with --tls-dir / CONFORM_TLS_DIR"
                )
            }
            return text
        }
        let name = self.principalName
        return ServiceTLS(certificateChainPEM: try read("\(name).pem"), privateKeyPEM: try read("\(name)-key.pem"), trustRootsPEM: try read("ca.pem"))
    }

    /// Runs `body` with a client connected to `service`, turning call failures into messages.
    func withClient<Result: Sendable>(
        _ service: ServiceName,
        _ body: (GRPCClient<ConformWireClientTransport>) async throws -> Result
    ) async throws -> Result {
        let (host, port) = try self.endpoint(of: service)
        let tls = try self.identity().wireClient(serverHostname: nil)
        var config = WireClientConfig()
        config.connectTimeout = .milliseconds(Int64(min(self.timeout, 30) * 1000))
        let transport = try ConformWireClientTransport(host: host, port: port, tls: tls, config: config)
        do {
            return try await withGRPCClient(transport: transport) { client in
                try await body(client)
            }
        } catch let error as RPCError {
            throw CLIError(rpc: error, service: service, host: host, port: port)
        }
    }

    /// Call options: the deadline from --timeout.
    func callOptions() -> CallOptions {
        var options = CallOptions.defaults
        options.timeout = .milliseconds(Int64(self.timeout * 1000))
        return options
    }

    /// Metadata for a call: a request id to quote when asking for help, and an idempotency key for writes.
    func metadata(idempotencyKey: String? = nil) -> Metadata {
        var metadata: Metadata = [:]
        metadata.addString(Self.requestID, forKey: "x-request-id")
        if let idempotencyKey { metadata.addString(idempotencyKey, forKey: "idempotency-key") }
        // A trace to continue, as OpenTelemetry's environment carrier gives it (W3C trace context):
        // a script's own span becomes the parent of the call.
        let environment = ProcessInfo.processInfo.environment
        if let parent = environment["TRACEPARENT"], !parent.isEmpty { metadata.addString(parent, forKey: "traceparent") }
        if let state = environment["TRACESTATE"], !state.isEmpty { metadata.addString(state, forKey: "tracestate") }
        return metadata
    }

    /// One id per CLI run, shown with any error.
    static let requestID = "cli-" + UUID().uuidString.lowercased().prefix(13)
}
