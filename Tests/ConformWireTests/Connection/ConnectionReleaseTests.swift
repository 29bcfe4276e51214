@testable import ConformWire
import ConformWireFrames
import Logging
import NIOCore
import NIOEmbedded
import Testing

/// A closed connection's handler is freed: one that outlived its channel kept every
/// connection ever made in memory (about 5 KiB each; 2,000 connections a burst).
@Suite("Connection handler release")
struct ConnectionReleaseTests {
    @Test("a server connection's handler is freed once its channel closes, whether or not it became active")
    func serverHandlerFreed() async throws {
        for activate in [true, false] {
            weak var released: WireConnectionHandler?
            let channel = EmbeddedChannel()
            do {
                let (_, accepted) = AsyncStream.makeStream(of: AcceptedStream.self)
                let handler = WireConnectionHandler(role: .server(accepted: accepted), config: WireConnectionConfig(), logger: Logger(label: "test"))
                released = handler
                try channel.pipeline.syncOperations.addHandler(handler)
                // A handle, as the transport takes one for each connection.
                _ = handler.handle
            }
            if activate {
                try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 7443)).get()
                try channel.writeInbound(InboundWireUnit.preface(version: WireProtocol.version))
            }
            try await channel.close()
            channel.embeddedEventLoop.run()
            #expect(released == nil, "the handler outlived its channel (activated: \(activate))")
        }
    }

    @Test("a client connection's handler is freed once its channel closes")
    func clientHandlerFreed() async throws {
        weak var released: WireConnectionHandler?
        let channel = EmbeddedChannel()
        do {
            let ready = channel.eventLoop.makePromise(of: PeerSettings.self)
            let handler = WireConnectionHandler(role: .client(ready: ready, unusable: {}), config: WireConnectionConfig(keepalive: nil), logger: Logger(label: "test"))
            released = handler
            try channel.pipeline.syncOperations.addHandler(handler)
            ready.futureResult.whenFailure { _ in }
        }
        try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 7443)).get()
        try await channel.close()
        channel.embeddedEventLoop.run()
        #expect(released == nil, "the handler outlived its channel")
    }
}
