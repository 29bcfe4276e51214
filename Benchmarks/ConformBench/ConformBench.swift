import ArgumentParser

/// Load tool for the Conform wire and the HTTP/2 gRPC transport, side by side.
@main
struct ConformBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conform-bench",
        abstract: "Measures the Conform wire against standard gRPC over HTTP/2, audited calls, and batch flows end to end.",
        discussion: """
            `run` starts the probe server in a child process, drives unary calls through each \
            transport in turn with the same handler, and reports throughput, latency \
            percentiles (HDR histogram) and the server's CPU time per call.
            """,
        subcommands: [RunCommand.self, BatchFlowCommand.self, RPCCommand.self, PushCommand.self, ReportingSeedCommand.self, ReportingBenchCommand.self, ServeCommand.self, ProbeCommand.self],
        defaultSubcommand: RunCommand.self
    )
}
