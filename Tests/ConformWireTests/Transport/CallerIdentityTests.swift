import ConformProtos
import ConformRuntime
import GRPCCore
import Testing

/// Lets only the principal named in its client certificate through, as authorization will.
private struct OnlyAlice: ServerInterceptor {
    func intercept<Input: Sendable, Output: Sendable>(
        request: StreamingServerRequest<Input>,
        context: ServerContext,
        next: (StreamingServerRequest<Input>, ServerContext) async throws -> StreamingServerResponse<Output>
    ) async throws -> StreamingServerResponse<Output> {
        guard let caller = PeerIdentity.commonName(of: context) else {
            throw RPCError(code: .unauthenticated, message: "no client certificate")
        }
        guard caller == "alice" else {
            throw RPCError(code: .permissionDenied, message: "\(caller) may not call \(context.descriptor)")
        }
        return try await next(request, context)
    }
}

@Suite("The caller's certificate reaches interceptors", .timeLimit(.minutes(2)))
struct CallerIdentityTests {
    @Test("an interceptor sees who is calling, over both transports")
    func interceptorSeesCertificate() async throws {
        let pki = try TestPKI.shared()
        try await withProbeServer(interceptors: [OnlyAlice()]) { server in
            let wirePort = try await server.wirePort
            let grpcPort = try await server.grpcPort
            try await withWireProbeClient(port: wirePort) { client in
                _ = try await client.echo(.probe(payload: "alice over the wire"))
            }
            try await withWireProbeClient(port: wirePort, tls: try pki.otherClient.wireClient()) { client in
                let error = await #expect(throws: RPCError.self) { try await client.echo(.probe()) }
                #expect(error?.code == .permissionDenied)
                #expect(error?.message.contains("bob may not call") == true)
            }
            try await withHTTP2ProbeClient(port: grpcPort) { client in
                _ = try await client.echo(.probe(payload: "alice over h2"))
            }
            try await withHTTP2ProbeClient(port: grpcPort, tls: pki.otherClient) { client in
                let error = await #expect(throws: RPCError.self) { try await client.echo(.probe()) }
                #expect(error?.code == .permissionDenied)
            }
        }
    }
}
