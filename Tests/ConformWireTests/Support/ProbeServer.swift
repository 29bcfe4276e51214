import Foundation
import ConformProtos
import ConformRuntime
import ConformWire
import ConformWireProbe
import GRPCCore
import GRPCNIOTransportHTTP2

/// Runs the probe service on both transports on 127.0.0.1 for the duration of `body`,
/// then drains it and waits until it has stopped.
func withProbeServer<Result: Sendable>(
    wirePort: Int = 0,
    wireConfig: WireConnectionConfig? = nil,
    limits: ConnectionLimits = ConnectionLimits(),
    interceptors: [any ServerInterceptor] = [],
    _ body: (ConformServer) async throws -> Result
) async throws -> Result {
    let running = try await RunningProbeServer.start(wirePort: wirePort, wireConfig: wireConfig, limits: limits, interceptors: interceptors)
    let outcome: Swift.Result<Result, any Error>
    do {
        outcome = .success(try await body(running.server))
    } catch {
        outcome = .failure(error)
    }
    try await running.stop()
    return try outcome.get()
}

typealias WireProbeClient = Conform_Wire_V1_WireProbe.Client<ConformWireClientTransport>

/// A probe client over the Conform wire for the duration of `body`.
func withWireProbeClient<Result: Sendable>(
    port: Int,
    tls: WireClientTLS? = nil,
    config: WireClientConfig = WireClientConfig(),
    _ body: (WireProbeClient) async throws -> Result
) async throws -> Result {
    let tls = try tls ?? TestPKI.shared().client.wireClient()
    let transport = try ConformWireClientTransport(host: "127.0.0.1", port: port, tls: tls, config: config)
    return try await withGRPCClient(transport: transport) { client in
        try await body(WireProbeClient(wrapping: client))
    }
}

/// A probe client over standard gRPC (HTTP/2) for the duration of `body`.
func withHTTP2ProbeClient<Result: Sendable>(
    port: Int,
    tls: ServiceTLS? = nil,
    _ body: (Conform_Wire_V1_WireProbe.Client<HTTP2ClientTransport.Posix>) async throws -> Result
) async throws -> Result {
    let tls = try tls ?? TestPKI.shared().client
    let transport = try HTTP2ClientTransport.Posix(
        target: .ipv4(address: "127.0.0.1", port: port),
        transportSecurity: tls.http2Client()
    )
    return try await withGRPCClient(transport: transport) { client in
        try await body(Conform_Wire_V1_WireProbe.Client(wrapping: client))
    }
}

extension Conform_Wire_V1_ProbeRequest {
    static func probe(
        payload: String = "",
        responseSize: UInt32 = 0,
        delayMillis: UInt32 = 0,
        count: UInt32 = 0,
        failWith code: RPCError.Code? = nil
    ) -> Self {
        var request = Self()
        request.payload = Data(payload.utf8)
        request.responseSize = responseSize
        request.delayMillis = delayMillis
        request.count = count
        if let code { request.failWithCode = Int32(Status.Code(code).rawValue) }
        return request
    }
}

/// A probe server started by hand, for tests that stop and restart it.
struct RunningProbeServer {
    let server: ConformServer
    let task: Task<Void, any Error>

    static func start(
        wirePort: Int = 0,
        wireConfig: WireConnectionConfig? = nil,
        limits: ConnectionLimits = ConnectionLimits(),
        interceptors: [any ServerInterceptor] = []
    ) async throws -> RunningProbeServer {
        let pki = try TestPKI.shared()
        let server = try ConformServer(
            services: [WireProbeService(identify: { PeerIdentity.commonName(of: $0) })],
            interceptors: interceptors,
            host: "127.0.0.1",
            wirePort: wirePort,
            grpcPort: 0,
            tls: pki.server,
            limits: limits,
            wireConfig: wireConfig
        )
        let task = Task { try await server.serve() }
        _ = try await server.wirePort
        return RunningProbeServer(server: server, task: task)
    }

    /// Drains and waits until the server has stopped.
    func stop() async throws {
        self.server.beginGracefulShutdown()
        try await self.task.value
    }
}
