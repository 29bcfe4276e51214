public import GRPCCore

/// Runs a long-lived handler body (a live feed, a watch) until it ends or the caller goes
/// away. gRPC reports a cancelled RPC through the context's handle, not by cancelling the
/// handler's task, so a loop that sleeps between polls would otherwise run on forever.
public func untilCancelled(
    _ context: ServerContext,
    _ body: @escaping @Sendable () async throws -> Void
) async throws {
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await context.cancellation.cancelled
            throw RPCError(code: .cancelled, message: "the caller cancelled the call")
        }
        defer { group.cancelAll() }
        try await group.next()
    }
}
