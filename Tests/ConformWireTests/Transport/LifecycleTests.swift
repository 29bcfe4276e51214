import ConformProtos
import ConformWire
import Foundation
import GRPCCore
import Testing

@Suite("Drain, restart and reconnect", .timeLimit(.minutes(2)))
struct LifecycleTests {
    private static let quickBackoff = WireClientConfig(
        backoff: .init(initial: .milliseconds(50), maximum: .milliseconds(200))
    )

    @Test("draining lets in-flight calls finish, then the server stops and refuses new ones")
    func drainDuringInFlightCalls() async throws {
        let running = try await RunningProbeServer.start()
        let port = try await running.server.wirePort
        try await withWireProbeClient(port: port, config: Self.quickBackoff) { client in
            let inFlight = Task { try await client.echo(.probe(payload: "in flight", delayMillis: 600)) }
            let streaming = Task {
                try await client.expand(.probe(payload: "s", delayMillis: 50, count: 8)) { response in
                    var count = 0
                    for try await _ in response.messages { count += 1 }
                    return count
                }
            }
            #expect(try await eventually { await running.server.wireTransport.openCallCount() == 2 })

            running.server.beginGracefulShutdown()
            let answer = try await inFlight.value
            #expect(String(decoding: answer.payload, as: UTF8.self) == "in flight")
            #expect(try await streaming.value == 8)
            try await running.task.value  // serve() returned: the server has stopped.

            let error = await #expect(throws: RPCError.self) { try await client.echo(.probe(payload: "too late")) }
            #expect(error?.code == .unavailable)
        }
    }

    @Test("a client reconnects after the server restarts, and fails fast while it is down")
    func reconnectAfterRestart() async throws {
        let first = try await RunningProbeServer.start()
        let port = try await first.server.wirePort
        try await withWireProbeClient(port: port, config: Self.quickBackoff) { client in
            _ = try await client.echo(.probe(payload: "before"))
            try await first.stop()

            let began = ContinuousClock.now
            let error = await #expect(throws: RPCError.self) { try await client.echo(.probe(payload: "while down")) }
            #expect(error?.code == .unavailable)
            #expect(ContinuousClock.now - began < .seconds(5), "a call to a dead server must not hang")

            let second = try await RunningProbeServer.start(wirePort: port)
            var options = CallOptions.defaults
            options.waitForReady = true
            options.timeout = .seconds(10)
            let answer = try await client.echo(.probe(payload: "after"), options: options)
            #expect(String(decoding: answer.payload, as: UTF8.self) == "after")
            try await second.stop()
        }
    }

    @Test("a client whose owner gives up while the server is unreachable stops reconnecting")
    func cancelledClientStops() async throws {
        let gone = try await RunningProbeServer.start()
        let port = try await gone.server.wirePort
        try await gone.stop()
        let began = ContinuousClock.now
        // withGRPCClient cancels the connection task when its body throws; the transport
        // must end its reconnect loop then, or this never returns.
        await #expect(throws: RPCError.self) {
            try await withWireProbeClient(port: port, config: Self.quickBackoff) { client in
                try await client.echo(.probe())
            }
        }
        #expect(ContinuousClock.now - began < .seconds(5))
    }

    @Test("a call waiting for a server that never comes gives up at its deadline")
    func waitForReadyRespectsDeadline() async throws {
        // A port nothing listens on: bind, learn the port, stop.
        let gone = try await RunningProbeServer.start()
        let port = try await gone.server.wirePort
        try await gone.stop()
        try await withWireProbeClient(port: port, config: Self.quickBackoff) { client in
            var options = CallOptions.defaults
            options.waitForReady = true
            options.timeout = .milliseconds(500)
            let began = ContinuousClock.now
            let error = await #expect(throws: RPCError.self) { try await client.echo(.probe(), options: options) }
            #expect(error?.code == .deadlineExceeded)
            #expect(ContinuousClock.now - began < .seconds(5))
        }
    }

    @Test("a server dropped before it ever listened does not crash the process")
    func droppedBeforeListening() throws {
        // A service whose start is cancelled early (a test's time limit, a failed migration)
        // drops its transports unstarted. Their unfulfilled address promise used to trip NIO's
        // leak check, which in a debug build ends the process: every test in it with it.
        var transport: ConformWireServerTransport? = ConformWireServerTransport(host: "127.0.0.1", port: 0, tls: try TestPKI.shared().server.wireServer())
        #expect(transport != nil)
        transport = nil
    }
}
