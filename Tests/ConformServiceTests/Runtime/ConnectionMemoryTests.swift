import ConformProtos
import ConformRuntime
import ConformWire
import ConformWireFrames
import Foundation
import GRPCCore
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization
import Testing

/// What thousands of connections and streams cost a service, measured on the service's own
/// process: bounded, given back, and never at the expense of other callers.
@Suite("A service's memory under many connections and streams", .timeLimit(.minutes(5)))
struct ConnectionMemoryTests {
    static let idleConnections = 2_000
    static let streamConnections = 10
    /// The wire's limit per connection, so 1,000 streams in all.
    static let streamsPerConnection = 100

    @Test("2,000 idle connections, three times over, then 1,000 open streams: the service's memory stays bounded and other callers are served")
    func manyConnectionsAndStreams() async throws {
        try Self.allowDescriptors(Self.idleConnections + 1_000)
        try await ServiceProcess.withRequirement(suite: "connection_memory") { service in
            let tls = try ServicePKI.shared().principal("quality-engineer").wireClient()
            try await Self.servesAnotherCaller(service, tls: tls)
            let baseline = try service.residentBytes()

            var held: [Int] = []
            for _ in 1...3 {
                let idle = try await IdleWireConnections.open(Self.idleConnections, port: service.wirePort, tls: tls.makeConfiguration())
                #expect(try await service.metric("conform_connections_open", labels: "port=\"wire\"") == Double(Self.idleConnections))
                try await Self.servesAnotherCaller(service, tls: tls)
                held.append(try service.residentBytes())
                await idle.close()
                #expect(try await eventually { try await service.metric("conform_connections_open", labels: "port=\"wire\"") } until: { $0 == 0 } == 0)
            }
            let afterIdle = try service.residentBytes()

            let opened = OpenedStreams()
            let release = Gate()
            // Opened whatever happens below, so a failed expectation never leaves calls hanging.
            defer { release.open() }
            let streams = Task {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<Self.streamConnections {
                        group.addTask {
                            let transport = try ConformWireClientTransport(host: "127.0.0.1", port: service.wirePort, tls: tls)
                            try await withGRPCClient(transport: transport) { client in
                                let catalog = Conform_Requirement_V1_RequirementCatalog.Client(wrapping: client)
                                await withTaskGroup(of: Void.self) { calls in
                                    for _ in 0..<Self.streamsPerConnection {
                                        calls.addTask {
                                            // An import that has begun and sends nothing until released; the
                                            // service then refuses it for want of a header, which is fine here.
                                            _ = try? await catalog.importRequirements { _ in
                                                opened.count.add(1, ordering: .relaxed)
                                                await release.wait()
                                            } onResponse: { _ in }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    try await group.waitForAll()
                }
            }
            let allOpen = try await eventually(timeout: .seconds(120)) { opened.count.load(ordering: .relaxed) } until: { $0 == 1_000 }
            #expect(allOpen == Self.streamConnections * Self.streamsPerConnection)
            try await Self.servesAnotherCaller(service, tls: tls)
            let withStreams = try service.residentBytes()
            release.open()
            try await streams.value

            let mib = { (bytes: Int) in bytes / (1 << 20) }
            print(
                "connection memory: baseline \(mib(baseline)) MiB; with \(Self.idleConnections) idle connections \(held.map(mib)) MiB;",
                "after them \(mib(afterIdle)) MiB; with 1,000 open streams \(mib(withStreams)) MiB"
            )
            // An idle connection costs its TLS session and buffers (about 40 KiB), not its
            // stream limit's worth of windows and frames.
            #expect(held[0] - baseline < Self.idleConnections * 64 * 1024, "\(Self.idleConnections) idle connections took \(mib(held[0] - baseline)) MiB")
            // Later bursts reuse what the first freed. The allocator keeps freed memory for
            // reuse rather than give it back, so a burst can land a little higher than the last,
            // but never by a closed connection's whole cost (ConnectionReleaseTests).
            for resident in held {
                #expect(resident - baseline < Self.idleConnections * 96 * 1024, "bursts of idle connections climb: \(held.map(mib)) MiB")
            }
            #expect(withStreams - afterIdle < 64 << 20, "1,000 open streams took \(mib(withStreams - afterIdle)) MiB")
        }
    }

    /// Raises this process's soft limit on open descriptors to at least `needed` (the service
    /// inherits it), up to the hard limit; fails saying so where the hard limit is lower.
    static func allowDescriptors(_ needed: Int) throws {
        var limit = rlimit()
        getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
        guard limit.rlim_cur < rlim_t(needed) else { return }
        guard limit.rlim_max >= rlim_t(needed) else {
            throw TestSetupError("this test opens \(needed) connections, and this machine allows \(limit.rlim_max) open files (ulimit -Hn)")
        }
        limit.rlim_cur = rlim_t(needed)
        setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
    }

    /// A caller on a connection of its own is answered.
    static func servesAnotherCaller(_ service: ServiceProcess, tls: WireClientTLS) async throws {
        let transport = try ConformWireClientTransport(host: "127.0.0.1", port: service.wirePort, tls: tls)
        try await withGRPCClient(transport: transport) { client in
            _ = try await Conform_Requirement_V1_RequirementService.Client(wrapping: client).listCustomers(.init())
        }
    }
}

/// The connections opened so far, to be closed if opening the rest fails.
private final class OpenedChannels: Sendable {
    let channels = Mutex<[any Channel]>([])
}

/// How many of the held streams have begun.
private final class OpenedStreams: Sendable {
    let count = Atomic<Int>(0)
}

/// Wire connections that finish their TLS handshake and the wire's own, then say nothing.
/// They do not answer the service's keepalive PINGs, so the service closes them after about
/// 40 s (30 s interval, 10 s timeout): each burst holds them for a few seconds only.
private struct IdleWireConnections {
    let channels: [any Channel]

    /// Opens `count` connections, a hundred at a time, and returns once the service has
    /// answered each one's preface.
    static func open(_ count: Int, port: Int, tls: TLSConfiguration) async throws -> IdleWireConnections {
        let context = try NIOSSLContext(configuration: tls)
        var hello = ByteBuffer()
        FrameEncoder.writePreface(into: &hello)
        var settings = Conform_Wire_V1_Settings()
        settings.maxFrameSize = 4 << 20
        settings.initialStreamWindow = 1 << 20
        FrameEncoder.write(Frame(type: .settings, streamID: 0, payload: ByteBuffer(bytes: try settings.serializedBytes() as [UInt8])), into: &hello)
        let greeting = hello
        let opened = OpenedChannels()
        do {
            try await Self.open(count, port: port, context: context, greeting: greeting, into: opened)
        } catch {
            await IdleWireConnections(channels: opened.channels.withLock { $0 }).close()
            throw error
        }
        return IdleWireConnections(channels: opened.channels.withLock { $0 })
    }

    private static func open(_ count: Int, port: Int, context: NIOSSLContext, greeting: ByteBuffer, into opened: OpenedChannels) async throws {
        for start in stride(from: 0, to: count, by: 100) {
            try await withThrowingTaskGroup(of: (any Channel).self) { group in
                for _ in start..<min(start + 100, count) {
                    group.addTask {
                        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singletonMultiThreadedEventLoopGroup)
                            .channelInitializer { channel in
                                channel.eventLoop.makeCompletedFuture {
                                    try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: nil))
                                    try channel.pipeline.syncOperations.addHandler(FirstAnswer(promise: channel.eventLoop.makePromise()))
                                }
                            }
                            .connect(host: "127.0.0.1", port: port)
                            .get()
                        do {
                            let answered = try await channel.pipeline.handler(type: FirstAnswer.self).map(\.promise.futureResult).get()
                            // Written before the TLS handshake ends: NIOSSL holds it until then.
                            try await channel.writeAndFlush(greeting)
                            try await answered.get()
                            return channel
                        } catch {
                            try? await channel.close()
                            throw error
                        }
                    }
                }
                for try await channel in group { opened.channels.withLock { $0.append(channel) } }
            }
        }
    }

    func close() async {
        for channel in self.channels { try? await channel.close() }
    }
}

/// Completes its promise when the service first sends anything, and drops what it sends.
private final class FirstAnswer: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let promise: EventLoopPromise<Void>
    private var answered = false

    init(promise: EventLoopPromise<Void>) {
        self.promise = promise
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !self.answered else { return }
        self.answered = true
        self.promise.succeed()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.failUnanswered()
        context.fireChannelInactive()
    }

    /// A channel that never became active is never inactive either: its promise fails here.
    func handlerRemoved(context: ChannelHandlerContext) {
        self.failUnanswered()
    }

    private func failUnanswered() {
        guard !self.answered else { return }
        self.answered = true
        self.promise.fail(ChannelError.ioOnClosedChannel)
    }
}
