import ArgumentParser
import ConformRuntime
import ConformWire
import ConformWireProbe
import Dispatch
import Foundation

/// Serves the probe service on both transports until SIGINT or SIGTERM.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the conform.wire.v1 probe over the Conform wire and HTTP/2 gRPC.",
        discussion: "Prints one JSON line with the bound ports once both listen, then serves until SIGINT or SIGTERM, draining in-flight calls."
    )

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Conform wire port (0 picks a free one).")
    var wirePort = 7443

    @Option(help: "HTTP/2 gRPC port (0 picks a free one).")
    var grpcPort = 7444

    @Option(help: "Folder with the TLS material; created with a fresh development CA when empty.")
    var tlsDir = ".conform/bench-tls"

    func run() async throws {
        let tls = try BenchTLS.loadOrCreate(in: URL(fileURLWithPath: self.tlsDir))
        let server = try ConformServer(
            services: [WireProbeService(identify: { PeerIdentity.commonName(of: $0) })],
            host: self.host,
            wirePort: self.wirePort,
            grpcPort: self.grpcPort,
            tls: tls.server
        )
        let signals = ShutdownSignals { server.beginGracefulShutdown() }
        defer { signals.cancel() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.serve() }
            let ready = #"{"wirePort":\#(try await server.wirePort),"grpcPort":\#(try await server.grpcPort)}"#
            // Unbuffered, so a parent reading the pipe sees the line at once.
            FileHandle.standardOutput.write(Data((ready + "\n").utf8))
            try await group.waitForAll()
        }
    }
}

/// Runs `action` once on SIGINT or SIGTERM.
final class ShutdownSignals {
    private let sources: [any DispatchSourceSignal]

    init(_ action: @escaping @Sendable () -> Void) {
        self.sources = [SIGINT, SIGTERM].map { signalNumber in
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler(handler: action)
            source.resume()
            return source
        }
    }

    func cancel() {
        for source in self.sources { source.cancel() }
    }
}
