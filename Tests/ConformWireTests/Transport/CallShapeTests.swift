import ConformProtos
import ConformWire
import Foundation
import GRPCCore
import Testing

@Suite("Call shapes over the Conform wire", .timeLimit(.minutes(2)))
struct CallShapeTests {
    @Test("unary: echoes the payload, carries metadata both ways, names the caller")
    func unary() async throws {
        try await withProbeServer { server in
            try await withWireProbeClient(port: try await server.wirePort) { client in
                let (response, echoed) = try await client.echo(
                    .probe(payload: "certificate of analysis"),
                    metadata: ["x-probe-batch": "B-1042", "x-probe-digest-bin": .binary([0, 1, 2, 255])]
                ) { response in
                    (try response.message, response.metadata)
                }
                #expect(String(decoding: response.payload, as: UTF8.self) == "certificate of analysis")
                #expect(response.peerIdentity == "alice")
                #expect(Array(echoed[stringValues: "x-probe-batch"]) == ["B-1042"])
                #expect(Array(echoed[binaryValues: "x-probe-digest-bin"]) == [[0, 1, 2, 255]])
            }
        }
    }

    @Test("a handler's error reaches the caller with its status code and message")
    func errorStatus() async throws {
        try await withProbeServer { server in
            try await withWireProbeClient(port: try await server.wirePort) { client in
                let error = await #expect(throws: RPCError.self) {
                    try await client.echo(.probe(failWith: .notFound))
                }
                #expect(error?.code == .notFound)
                #expect(error?.message.contains("asked to fail") == true)
            }
        }
    }

    @Test("client streaming: every message arrives, in one call")
    func clientStreaming() async throws {
        try await withProbeServer { server in
            try await withWireProbeClient(port: try await server.wirePort) { client in
                let response = try await client.collect { writer in
                    for _ in 0..<100 {
                        try await writer.write(.probe(payload: String(repeating: "x", count: 1024)))
                    }
                }
                #expect(response.messagesReceived == 100)
                #expect(response.bytesReceived == 100 * 1024)
            }
        }
    }

    @Test("server streaming: all responses, in order")
    func serverStreaming() async throws {
        try await withProbeServer { server in
            try await withWireProbeClient(port: try await server.wirePort) { client in
                let counts = try await client.expand(.probe(payload: "ndt", count: 50)) { response in
                    var counts: [UInt32] = []
                    for try await message in response.messages { counts.append(message.messagesReceived) }
                    return counts
                }
                #expect(counts == Array(1...50))
            }
        }
    }

    @Test("bidirectional: each request answered as it arrives")
    func bidirectional() async throws {
        try await withProbeServer { server in
            try await withWireProbeClient(port: try await server.wirePort) { client in
                let (requests, continuation) = AsyncStream.makeStream(of: String.self)
                let replies = try await client.converse(
                    request: StreamingClientRequest { writer in
                        for await text in requests { try await writer.write(.probe(payload: text)) }
                    }
                ) { response in
                    var replies: [String] = []
                    continuation.yield("first")
                    for try await message in response.messages {
                        replies.append(String(decoding: message.payload, as: UTF8.self))
                        // The next request goes out only after the previous answer came back.
                        if replies.count < 20 { continuation.yield("reply-\(replies.count)") } else { continuation.finish() }
                    }
                    return replies
                }
                #expect(replies.count == 20)
                #expect(replies.first == "first")
                #expect(replies.last == "reply-19")
            }
        }
    }

    @Test("messages up to the frame limit pass; larger ones are refused with RESOURCE_EXHAUSTED")
    func messageSizeLimit() async throws {
        try await withProbeServer { server in
            try await withWireProbeClient(port: try await server.wirePort) { client in
                let big = try await client.echo(.probe(responseSize: 3 * 1024 * 1024))
                #expect(big.payload.count == 3 * 1024 * 1024)
                var tooBig = Conform_Wire_V1_ProbeRequest()
                tooBig.payload = Data(count: 5 * 1024 * 1024)
                let error = await #expect(throws: RPCError.self) { try await client.echo(tooBig) }
                #expect(error?.code == .resourceExhausted)
                // The connection is still fine afterwards.
                _ = try await client.echo(.probe(payload: "still here"))
            }
        }
    }
}
