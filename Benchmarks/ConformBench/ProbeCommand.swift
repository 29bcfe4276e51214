import ArgumentParser
import ConformProtos
import ConformWire
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2

/// One Echo call to a running probe server: a smoke test for a deployment's TLS and ports.
struct ProbeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Make one Echo call to a running probe server and print what came back."
    )

    @Option(help: "Server host.")
    var host = "127.0.0.1"

    @Option(help: "Server port (the wire port for --transport wire, the gRPC port for http2).")
    var port = 7443

    @Option(help: "wire or http2.")
    var transport = "wire"

    @Option(help: "Text to echo.")
    var message = "hello from conform-bench"

    @Option(help: "Folder with the TLS material the server was started with.")
    var tlsDir = ".conform/bench-tls"

    @Option(help: "Give up after this many seconds (0: no deadline).")
    var timeout = 5.0

    func validate() throws {
        guard ["wire", "http2"].contains(self.transport) else { throw ValidationError("--transport must be wire or http2") }
    }

    func run() async throws {
        let tls = try BenchTLS.loadOrCreate(in: URL(fileURLWithPath: self.tlsDir))
        var request = Conform_Wire_V1_ProbeRequest()
        request.payload = Data(self.message.utf8)
        var options = CallOptions.defaults
        if self.timeout > 0 { options.timeout = .milliseconds(Int64(self.timeout * 1000)) }
        let began = ContinuousClock.now
        let response: Conform_Wire_V1_ProbeResponse
        do {
            if self.transport == "wire" {
                let transport = try ConformWireClientTransport(host: self.host, port: self.port, tls: tls.client.wireClient())
                response = try await withGRPCClient(transport: transport) { client in
                    try await Conform_Wire_V1_WireProbe.Client(wrapping: client).echo(request, options: options)
                }
            } else {
                // An IP literal goes by address, so TLS checks the certificate's IP entry.
                let isIPv4 = self.host.split(separator: ".").count == 4 && self.host.allSatisfy { $0.isNumber || $0 == "." }
                let transport = try HTTP2ClientTransport.Posix(
                    target: isIPv4 ? .ipv4(address: self.host, port: self.port) : .dns(host: self.host, port: self.port),
                    transportSecurity: tls.client.http2Client()
                )
                response = try await withGRPCClient(transport: transport) { client in
                    try await Conform_Wire_V1_WireProbe.Client(wrapping: client).echo(request, options: options)
                }
            }
        } catch let error as RPCError {
            throw BenchError("the call failed with \(error.code): \(error.message)")
        }
        let elapsed = ContinuousClock.now - began
        print("echo:      \(String(decoding: response.payload, as: UTF8.self))")
        print("caller:    \(response.peerIdentity) (as the server saw the client certificate)")
        print("from:      \(response.remotePeer)")
        print("took:      \(elapsed) over \(self.transport), including connect and TLS")
    }
}
