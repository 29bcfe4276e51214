import ConformProtos
import ConformRuntime
import ConformWire
import Foundation
import GRPCCore
import NIOCore
import NIOSSL
import Testing

@Suite("Mutual TLS", .timeLimit(.minutes(2)))
struct TLSTests {
    @Test("TLS 1.3 is negotiated and the caller's certificate reaches the handler")
    func negotiatesTLS13() async throws {
        try await withProbeServer { server in
            let port = try await server.wirePort
            let raw = try await RawWireConnection.connect(port: port)
            try await raw.handshake()
            #expect(try await raw.wait { $0.frames.contains { $0.type == .settings } })
            let version = try await raw.channel.pipeline.handler(type: NIOSSLHandler.self).flatMapThrowing { $0.tlsVersion }.get()
            #expect(version == .tlsv13)
            raw.close()
            try await withWireProbeClient(port: port) { client in
                let response = try await client.echo(.probe())
                #expect(response.peerIdentity == "alice")
            }
        }
    }

    @Test("a client whose certificate comes from another CA is refused")
    func foreignClientCertificate() async throws {
        try await withProbeServer { server in
            let tls = try TestPKI.shared().strangerClient.wireClient()
            try await withWireProbeClient(port: try await server.wirePort, tls: tls) { client in
                let error = await #expect(throws: RPCError.self) { try await client.echo(.probe()) }
                #expect(error?.code == .unavailable)
                #expect(error?.message.contains("TLS") == true)
            }
        }
    }

    @Test("a client offering at most TLS 1.1 is refused, and the server keeps serving")
    func tls11Refused() async throws {
        try await withProbeServer { server in
            let port = try await server.wirePort
            var configuration = try TestPKI.shared().client.wireClient().makeConfiguration()
            configuration.minimumTLSVersion = .tlsv1
            configuration.maximumTLSVersion = .tlsv11
            let raw = try await RawWireConnection.connect(port: port, tls: configuration)
            // The server may already have hung up; what matters is that nothing gets through.
            try? await raw.handshake()
            #expect(try await raw.wait { $0.isClosed })
            #expect(raw.error is NIOSSLError, "expected a TLS handshake failure, got \(String(describing: raw.error))")
            #expect(!raw.frames.contains { $0.type == .settings }, "no protocol frame may pass before TLS succeeds")
            try await withWireProbeClient(port: port) { client in
                _ = try await client.echo(.probe(payload: "fine"))
            }
        }
    }
}
