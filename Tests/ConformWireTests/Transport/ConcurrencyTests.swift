import ConformProtos
import ConformWire
import Foundation
import GRPCCore
import Testing

@Suite("Multiplexing, cancellation and deadlines", .timeLimit(.minutes(2)))
struct ConcurrencyTests {
    @Test("1,000 concurrent calls share one connection")
    func thousandConcurrentCalls() async throws {
        try await withProbeServer { server in
            try await withWireProbeClient(port: try await server.wirePort) { client in
                let peers = try await withThrowingTaskGroup(of: (Int, String, String).self) { group in
                    for index in 0..<1000 {
                        group.addTask {
                            let response = try await client.echo(.probe(payload: "call-\(index)", delayMillis: 20))
                            return (index, String(decoding: response.payload, as: UTF8.self), response.remotePeer)
                        }
                    }
                    var peers = Set<String>()
                    var answered = 0
                    for try await (index, payload, peer) in group {
                        #expect(payload == "call-\(index)")
                        peers.insert(peer)
                        answered += 1
                    }
                    #expect(answered == 1000)
                    return peers
                }
                #expect(peers.count == 1, "every call should have used the same connection, saw \(peers)")
            }
        }
    }

    @Test("cancelling one call stops it on the server and leaves the others running")
    func cancellation() async throws {
        try await withProbeServer { server in
            try await withWireProbeClient(port: try await server.wirePort) { client in
                let started = AsyncStream.makeStream(of: Void.self)
                let endless = Task {
                    try await client.expand(.probe(payload: "tick", delayMillis: 10, count: 100_000)) { response in
                        var seen = 0
                        for try await _ in response.messages {
                            seen += 1
                            if seen == 3 { started.continuation.yield() }
                        }
                        return seen
                    }
                }
                // Long enough to be seen open on a loaded machine, while the other call is cancelled.
                let slow = Task { try await client.echo(.probe(payload: "unaffected", delayMillis: 8_000)) }
                for await _ in started.stream { break }
                #expect(try await eventually { await server.wireTransport.openCallCount() == 2 })
                endless.cancel()
                await #expect(throws: (any Error).self) { try await endless.value }
                let gone = try await eventually { await server.wireTransport.openCallCount() == 1 }
                #expect(gone, "the server should have dropped the cancelled stream")
                let answer = try await slow.value
                #expect(String(decoding: answer.payload, as: UTF8.self) == "unaffected")
            }
        }
    }

    @Test("a call past its deadline fails with DEADLINE_EXCEEDED; the connection carries on")
    func deadline() async throws {
        try await withProbeServer { server in
            try await withWireProbeClient(port: try await server.wirePort) { client in
                var options = CallOptions.defaults
                options.timeout = .milliseconds(200)
                let began = ContinuousClock.now
                let error = await #expect(throws: RPCError.self) {
                    try await client.echo(.probe(delayMillis: 5_000), options: options)
                }
                #expect(error?.code == .deadlineExceeded)
                #expect(ContinuousClock.now - began < .seconds(3))
                let gone = try await eventually { await server.wireTransport.openCallCount() == 0 }
                #expect(gone)
                _ = try await client.echo(.probe(payload: "next"))
            }
        }
    }
}

/// Polls `condition` until it holds or `timeout` passes.
func eventually(timeout: Duration = .seconds(10), _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(20))
    }
    return try await condition()
}
