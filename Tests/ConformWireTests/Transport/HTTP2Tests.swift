import ConformProtos
import Foundation
import GRPCCore
import Testing

@Suite("The same handlers over standard gRPC (HTTP/2)", .timeLimit(.minutes(2)))
struct HTTP2Tests {
    @Test("a stock gRPC client calls the probe with mutual TLS and is identified")
    func unaryAndStreamingOverHTTP2() async throws {
        try await withProbeServer { server in
            try await withHTTP2ProbeClient(port: try await server.grpcPort) { client in
                let response = try await client.echo(.probe(payload: "over h2"))
                #expect(String(decoding: response.payload, as: UTF8.self) == "over h2")
                #expect(response.peerIdentity == "alice")
                let count = try await client.expand(.probe(count: 10)) { response in
                    var count = 0
                    for try await _ in response.messages { count += 1 }
                    return count
                }
                #expect(count == 10)
            }
        }
    }
}
