@testable import ConformWire
import ConformWireFrames
import GRPCCore
import Logging
import NIOCore
import NIOEmbedded
import Testing

/// The connection handler driven by hand on an EmbeddedChannel, for orderings that real
/// sockets produce only now and then.
@Suite("Client stream ordering")
struct ClientStreamRaceTests {
    /// A client connection handler that has completed its handshake.
    private func readyClient() async throws -> (EmbeddedChannel, WireConnectionHandler) {
        let channel = EmbeddedChannel()
        let ready = channel.eventLoop.makePromise(of: PeerSettings.self)
        let handler = WireConnectionHandler(
            role: .client(ready: ready, unusable: {}),
            config: WireConnectionConfig(keepalive: nil),
            logger: Logger(label: "test")
        )
        try channel.pipeline.syncOperations.addHandler(handler)
        try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 7443)).get()
        var settings = Conform_Wire_V1_Settings()
        settings.maxFrameSize = 1 << 20
        settings.initialStreamWindow = 1 << 20
        try channel.writeInbound(InboundWireUnit.preface(version: WireProtocol.version))
        try channel.writeInbound(InboundWireUnit.frame(Frame(type: .settings, streamID: 0, payload: ByteBuffer(bytes: try settings.serializedBytes() as [UInt8]))))
        _ = try await ready.futureResult.get()
        // What the client sent on connecting: its preface and SETTINGS.
        channel.embeddedEventLoop.run()
        while try channel.readOutbound(as: ByteBuffer.self) != nil {}
        return (channel, handler)
    }

    private func sentFrames(_ channel: EmbeddedChannel) throws -> [Frame] {
        channel.embeddedEventLoop.run()
        var bytes = ByteBuffer()
        while var chunk = try channel.readOutbound(as: ByteBuffer.self) { bytes.writeBuffer(&chunk) }
        var decoder = FrameDecoder(maxFrameSize: 1 << 20, expectingPreface: false)
        var frames: [Frame] = []
        while let unit = try decoder.decode(buffer: &bytes) {
            if case .frame(let frame) = unit { frames.append(frame) }
        }
        return frames
    }

    private func clientStream() -> WireStream {
        let (_, continuation) = AsyncThrowingStream.makeStream(of: RPCResponsePart<WireBytes>.self)
        return WireStream(inbound: .client(continuation), flow: OutboundFlow(window: 1 << 20, writable: true, open: false), receiveWindow: 1 << 20)
    }

    @Test("an open request that arrives after the call was abandoned puts nothing on the wire")
    func openAfterAbandon() async throws {
        let (channel, handler) = try await self.readyClient()
        let stream = self.clientStream()
        handler.abandonClientStream(stream, reason: "deadline passed")
        handler.openClientStream(stream, headers: ByteBuffer(string: "headers"))
        #expect(try self.sentFrames(channel).isEmpty)
        #expect(handler.streams.isEmpty, "an abandoned call must not linger and block the drain")
        _ = try? channel.finish()
    }

    @Test("the normal order opens the stream, and abandoning it resets it")
    func openThenAbandon() async throws {
        let (channel, handler) = try await self.readyClient()
        let stream = self.clientStream()
        handler.openClientStream(stream, headers: ByteBuffer(string: "headers"))
        handler.abandonClientStream(stream, reason: "caller gave up")
        #expect(try self.sentFrames(channel).map(\.type) == [.headers, .reset])
        #expect(handler.streams.isEmpty)
        _ = try? channel.finish()
    }
}
