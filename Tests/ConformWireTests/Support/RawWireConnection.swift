import ConformWire
import ConformWireFrames
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization
import SwiftProtobuf

/// A hand-driven Conform wire connection for protocol tests: it writes whatever bytes a
/// test gives it and records every preface and frame the server sends back, decoded by
/// the same rules PROTOCOL.md states.
final class RawWireConnection: Sendable {
    let channel: any Channel
    private let inbox: Inbox

    final class Inbox: Sendable {
        let units = Mutex<[InboundWireUnit]>([])
        let error = Mutex<(any Error)?>(nil)
    }

    private init(channel: any Channel, inbox: Inbox) {
        self.channel = channel
        self.inbox = inbox
    }

    /// Connects over TLS (the given configuration, or the trusted test client's).
    static func connect(port: Int, tls: TLSConfiguration? = nil) async throws -> RawWireConnection {
        let configuration = try tls ?? TestPKI.shared().client.wireClient().makeConfiguration()
        let sslContext = try NIOSSLContext(configuration: configuration)
        let inbox = Inbox()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singletonMultiThreadedEventLoopGroup)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.addHandler(NIOSSLClientHandler(context: sslContext, serverHostname: nil))
                    try pipeline.addHandler(ByteToMessageHandler(FrameDecoder(maxFrameSize: 64 * 1024 * 1024)))
                    try pipeline.addHandler(Collector(inbox: inbox))
                }
            }
            .connect(host: "127.0.0.1", port: port)
            .get()
        return RawWireConnection(channel: channel, inbox: inbox)
    }

    func send(_ bytes: ByteBuffer) async throws {
        try await self.channel.writeAndFlush(bytes)
    }

    func sendPreface(version: UInt16 = WireProtocol.version) async throws {
        var buffer = ByteBuffer()
        FrameEncoder.writePreface(into: &buffer, version: version)
        try await self.send(buffer)
    }

    func send(_ type: FrameType, stream: UInt32 = 0, _ message: some SwiftProtobuf.Message) async throws {
        let payload = ByteBuffer(bytes: try message.serializedBytes() as [UInt8])
        try await self.send(FrameEncoder.encode(Frame(type: type, streamID: stream, payload: payload), allocator: ByteBufferAllocator()))
    }

    func send(_ type: FrameType, stream: UInt32, payload: ByteBuffer) async throws {
        try await self.send(FrameEncoder.encode(Frame(type: type, streamID: stream, payload: payload), allocator: ByteBufferAllocator()))
    }

    /// Preface, then SETTINGS granting `window` bytes per stream.
    func handshake(window: UInt32 = 1 << 20) async throws {
        try await self.sendPreface()
        var settings = Conform_Wire_V1_Settings()
        settings.maxFrameSize = 4 << 20
        settings.initialStreamWindow = window
        try await self.send(.settings, settings)
    }

    var units: [InboundWireUnit] { self.inbox.units.withLock { $0 } }
    var frames: [Frame] {
        self.units.compactMap { if case .frame(let frame) = $0 { return frame } else { return nil } }
    }
    var error: (any Error)? { self.inbox.error.withLock { $0 } }
    var isClosed: Bool { !self.channel.isActive }

    /// Waits (polling) until `condition` holds or `timeout` passes; returns whether it held.
    @discardableResult
    func wait(for timeout: Duration = .seconds(10), until condition: (RawWireConnection) -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition(self) { return true }
            try await Task.sleep(for: .milliseconds(10))
        }
        return condition(self)
    }

    func goAway() throws -> Conform_Wire_V1_GoAway? {
        guard let frame = self.frames.first(where: { $0.type == .goAway }) else { return nil }
        return try Conform_Wire_V1_GoAway(serializedBytes: Array(frame.payload.readableBytesView))
    }

    func close() {
        self.channel.close(promise: nil)
    }

    private final class Collector: ChannelInboundHandler {
        typealias InboundIn = InboundWireUnit
        let inbox: Inbox

        init(inbox: Inbox) { self.inbox = inbox }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let unit = self.unwrapInboundIn(data)
            self.inbox.units.withLock { $0.append(unit) }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            self.inbox.error.withLock { if $0 == nil { $0 = error } }
            context.close(promise: nil)
        }
    }
}
