import Synchronization

/// Runs `operation` in a task of its own and gives up on it after `limit`: cancelled, and
/// no longer awaited. For background loops that must go on, and drain, whatever a database
/// call does: a pool request cancelled while the database is away may never be answered
/// (seen with PostgresNIO across a database restart), and awaiting it would stop the loop.
func abandoning<Result: Sendable>(
    after limit: Duration,
    _ what: String,
    _ operation: @escaping @Sendable () async throws -> Result
) async throws -> Result {
    let outcome = Outcome<Result>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Result, any Error>) in
            outcome.waiting(continuation)
            let timer = Task {
                try await Task.sleep(for: limit)
                outcome.finish(.failure(DeadlineExceeded(what: what, limit: limit)))
            }
            let work = Task {
                let result: Swift.Result<Result, any Error>
                do {
                    result = .success(try await operation())
                } catch {
                    result = .failure(error)
                }
                timer.cancel()
                outcome.finish(result)
            }
            outcome.onFinish { work.cancel(); timer.cancel() }
        }
    } onCancel: {
        outcome.finish(.failure(CancellationError()))
    }
}

/// `operation` did not finish within its limit.
struct DeadlineExceeded: Error, CustomStringConvertible {
    let what: String
    let limit: Duration
    var description: String { "\(self.what) did not finish within \(self.limit); given up" }
}

/// The first result of a race, handed to the one waiter exactly once.
private final class Outcome<Value: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<Value, any Error>?
        var result: Swift.Result<Value, any Error>?
        var cleanup: (@Sendable () -> Void)?
        var done = false
    }

    private let state = Mutex(State())

    func waiting(_ continuation: CheckedContinuation<Value, any Error>) {
        let early = self.state.withLock { state -> Swift.Result<Value, any Error>? in
            if let result = state.result { return result }
            state.continuation = continuation
            return nil
        }
        if let early { continuation.resume(with: early) }
    }

    func onFinish(_ cleanup: @escaping @Sendable () -> Void) {
        let now = self.state.withLock { state -> Bool in
            if state.done { return true }
            state.cleanup = cleanup
            return false
        }
        if now { cleanup() }
    }

    func finish(_ result: Swift.Result<Value, any Error>) {
        let (continuation, cleanup) = self.state.withLock { state -> (CheckedContinuation<Value, any Error>?, (@Sendable () -> Void)?) in
            guard !state.done else { return (nil, nil) }
            state.done = true
            guard let continuation = state.continuation else {
                state.result = result
                return (nil, nil)
            }
            state.continuation = nil
            defer { state.cleanup = nil }
            return (continuation, state.cleanup)
        }
        continuation?.resume(with: result)
        cleanup?()
    }
}
