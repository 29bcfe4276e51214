import ConformProtos
import ConformRuntime
import ConformWire
import ConformWireFrames
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import NIOCore
import NIOPosix
import NIOSSL
import Testing

/// Both ports follow one rule for who may connect, and bound what one caller can hold.
@Suite("Connection admission and limits on both ports", .timeLimit(.minutes(2)))
struct ConnectionLimitTests {
    /// A TCP connection that never says a word, not even a TLS ClientHello.
    private static func silentConnection(port: Int) async throws -> any Channel {
        try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singletonMultiThreadedEventLoopGroup)
            .connect(host: "127.0.0.1", port: port)
            .get()
    }

    /// Whether the server closes `channel` within `timeout`.
    private static func closes(_ channel: any Channel, within timeout: Duration) async throws -> Bool {
        try await eventually(timeout: timeout) { !channel.isActive }
    }

    @Test("a client without a certificate is refused during the handshake on both ports, and counted")
    func noCertificateOnEitherPort() async throws {
        try await withProbeServer { server in
            try await withWireProbeClient(port: try await server.wirePort, tls: try TestPKI.shared().anonymousClient()) { client in
                let error = await #expect(throws: RPCError.self) { try await client.echo(.probe()) }
                #expect(error?.code == .unavailable)
            }
            #expect(try await eventually { server.wireTransport.connectionGuard.refusals(.noCertificate) >= 1 })

            let pki = try TestPKI.shared()
            let anonymous = HTTP2ClientTransport.Posix.TransportSecurity.tls { config in
                config.trustRoots = .certificates([.bytes(Array(pki.client.trustRootsPEM.utf8), format: .pem)])
            }
            let transport = try HTTP2ClientTransport.Posix(
                target: .ipv4(address: "127.0.0.1", port: try await server.grpcPort),
                transportSecurity: anonymous
            )
            try await withGRPCClient(transport: transport) { grpc in
                let client = Conform_Wire_V1_WireProbe.Client(wrapping: grpc)
                let error = await #expect(throws: RPCError.self) { try await client.echo(.probe()) }
                #expect(error?.code == .unavailable)
            }
            #expect(try await eventually { server.grpcGuard.refusals(.noCertificate) >= 1 })
        }
    }

    @Test("a connection that never starts TLS is closed after the handshake timeout, on both ports")
    func silentConnectionsTimeOut() async throws {
        let limits = ConnectionLimits(admission: .init(handshakeTimeout: .milliseconds(500)))
        try await withProbeServer(limits: limits) { server in
            let wire = try await Self.silentConnection(port: try await server.wirePort)
            let grpc = try await Self.silentConnection(port: try await server.grpcPort)
            #expect(try await Self.closes(wire, within: .seconds(10)))
            #expect(try await Self.closes(grpc, within: .seconds(10)))
            #expect(server.wireTransport.connectionGuard.refusals(.handshakeTimeout) == 1)
            #expect(server.grpcGuard.refusals(.handshakeTimeout) == 1)
        }
    }

    @Test("a stop closes half-open connections at once instead of waiting for their handshake deadline")
    func stopDoesNotWaitForSilentConnections() async throws {
        let limits = ConnectionLimits(admission: .init(handshakeTimeout: .seconds(600)))
        let running = try await RunningProbeServer.start(limits: limits)
        let wire = try await Self.silentConnection(port: try await running.server.wirePort)
        let grpc = try await Self.silentConnection(port: try await running.server.grpcPort)
        #expect(try await eventually { running.server.wireTransport.connectionGuard.openConnections == 1 && running.server.grpcGuard.openConnections == 1 })
        let began = ContinuousClock.now
        try await running.stop()
        #expect(ContinuousClock.now - began < .seconds(5), "the stop waited for connections that never spoke")
        #expect(try await Self.closes(wire, within: .seconds(5)))
        #expect(try await Self.closes(grpc, within: .seconds(5)))
    }

    @Test("past the connection cap a new connection is closed at once, and callers already in are served")
    func connectionCap() async throws {
        let limits = ConnectionLimits(admission: .init(maxConnections: 2))
        try await withProbeServer(limits: limits) { server in
            let port = try await server.wirePort
            try await withWireProbeClient(port: port) { client in
                _ = try await client.echo(.probe(payload: "first"))
                let squatter = try await Self.silentConnection(port: port)
                #expect(try await eventually { server.wireTransport.connectionGuard.openConnections == 2 })
                let refused = try await Self.silentConnection(port: port)
                #expect(try await Self.closes(refused, within: .seconds(5)))
                #expect(server.wireTransport.connectionGuard.refusals(.connectionLimit) == 1)
                let response = try await client.echo(.probe(payload: "still served"))
                #expect(String(decoding: response.payload, as: UTF8.self) == "still served")
                try await squatter.close()
            }
        }
    }

    @Test("an idle wire connection is drained after the idle timeout; a busy one is not")
    func idleWireConnection() async throws {
        var config = WireConnectionConfig()
        config.idleTimeout = .milliseconds(300)
        try await withProbeServer(wireConfig: config) { server in
            let raw = try await RawWireConnection.connect(port: try await server.wirePort)
            // SETTINGS and the call in one write: the server sees the call before its idle
            // clock, which starts once SETTINGS arrive, could run out, however loaded the machine.
            var settings = Conform_Wire_V1_Settings()
            settings.maxFrameSize = 4 << 20
            settings.initialStreamWindow = 1 << 20
            let request = ByteBuffer(bytes: try Conform_Wire_V1_ProbeRequest.probe(delayMillis: 800).serializedBytes() as [UInt8])
            var bytes = ByteBuffer()
            FrameEncoder.writePreface(into: &bytes)
            for frame in [
                Frame(type: .settings, streamID: 0, payload: ByteBuffer(bytes: try settings.serializedBytes() as [UInt8])),
                Frame(type: .headers, streamID: 1, payload: ByteBuffer(bytes: try Self.headers("/conform.wire.v1.WireProbe/Echo").serializedBytes() as [UInt8])),
                Frame(type: .message, streamID: 1, payload: request),
                Frame(type: .halfClose, streamID: 1, payload: ByteBuffer()),
            ] {
                var encoded = FrameEncoder.encode(frame, allocator: ByteBufferAllocator())
                bytes.writeBuffer(&encoded)
            }
            try await raw.send(bytes)
            #expect(try await raw.wait { $0.isClosed })
            // The call outlived the idle timeout: the drain came only after its answer.
            let trailers = raw.frames.firstIndex { $0.type == .trailers && $0.streamID == 1 }
            let goAway = raw.frames.firstIndex { $0.type == .goAway }
            #expect(trailers != nil && goAway != nil && trailers! < goAway!, "the connection was drained while a call was open")
            #expect(try raw.goAway()?.message.contains("no call for") == true)
        }
    }

    @Test("a flood of PINGs is answered with GOAWAY ENHANCE_YOUR_CALM")
    func pingFlood() async throws {
        try await withProbeServer { server in
            let port = try await server.wirePort
            let raw = try await RawWireConnection.connect(port: port)
            try await raw.handshake()
            for opaque in 1...200 {
                var ping = Conform_Wire_V1_Ping()
                ping.opaque = UInt64(opaque)
                try? await raw.send(.ping, ping)
            }
            #expect(try await raw.wait { $0.isClosed })
            #expect(try raw.goAway()?.error == .enhanceYourCalm)
            let answered = raw.frames.filter { $0.type == .ping }.count
            #expect(answered <= 20, "answered \(answered) of 200 PINGs")
            try await withWireProbeClient(port: port) { client in
                _ = try await client.echo(.probe(payload: "others are unaffected"))
            }
        }
    }

    @Test("over HTTP/2 more calls than the stream limit on one connection all succeed: the limit is advertised")
    func http2StreamLimitAdvertised() async throws {
        // swift-nio-http2 enforces 100 streams whether or not SETTINGS say so; a client that
        // was not told opened more, and the connection failed with every call on it.
        try await withProbeServer { server in
            try await withHTTP2ProbeClient(port: try await server.grpcPort) { client in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for index in 0..<150 {
                        group.addTask {
                            let response = try await client.echo(.probe(payload: "call \(index)", delayMillis: 200))
                            #expect(String(decoding: response.payload, as: UTF8.self) == "call \(index)")
                        }
                    }
                    try await group.waitForAll()
                }
            }
        }
    }

    @Test("over HTTP/2 a request over the message limit gets RESOURCE_EXHAUSTED saying the limit")
    func http2OversizedRequest() async throws {
        let limits = ConnectionLimits(maxMessageBytes: 64 * 1024)
        try await withProbeServer(limits: limits) { server in
            try await withHTTP2ProbeClient(port: try await server.grpcPort) { client in
                let big = String(repeating: "x", count: 100 * 1024)
                let error = await #expect(throws: RPCError.self) { try await client.echo(.probe(payload: big)) }
                #expect(error?.code == .resourceExhausted)
                #expect(error?.message.contains("at most 65536 bytes") == true, "said: \(error?.message ?? "")")
                let response = try await client.echo(.probe(payload: "small is fine"))
                #expect(String(decoding: response.payload, as: UTF8.self) == "small is fine")
            }
        }
    }

    private static func headers(_ method: String) -> Conform_Wire_V1_RequestHeaders {
        var headers = Conform_Wire_V1_RequestHeaders()
        headers.method = method
        return headers
    }
}
