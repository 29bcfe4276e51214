import Synchronization

/// Send credit for one stream, shared by the writer (any task) and the connection (its
/// event loop).
///
/// A writer may send a message while the stream's window is positive and the socket is
/// writable; the message's size is then taken from the window, which may go negative by
/// at most that one message. Otherwise the writer waits: for the peer's WINDOW_UPDATE, for
/// the socket to drain, or for the stream to end, whichever comes first.
final class OutboundFlow: Sendable {
    private struct State {
        var window: Int
        var writable: Bool
        /// False while a client stream waits for the server's concurrency limit.
        var open: Bool
        var failure: (any Error)?
        var waiter: CheckedContinuation<Bool, any Error>?

        var canSend: Bool { self.open && self.window > 0 && self.writable }
    }

    private let state: Mutex<State>

    /// The largest window a peer may grant, as in HTTP/2.
    static let maximumWindow = Int(Int32.max)

    init(window: Int, writable: Bool, open: Bool = true) {
        self.state = Mutex(State(window: window, writable: writable, open: open))
    }

    /// Throws the stream's terminal error if it has ended.
    func checkOpen() throws {
        if let failure = self.state.withLock({ $0.failure }) { throw failure }
    }

    /// Waits until `bytes` may be sent, then takes them from the window.
    func reserve(_ bytes: Int) async throws {
        // Fast path: credit is there; no suspension.
        let ready: Bool = try self.state.withLock { state in
            if let failure = state.failure { throw failure }
            guard state.canSend else { return false }
            state.window -= bytes
            return true
        }
        if ready { return }

        // Resumes with true when the bytes were taken already, false when woken by new credit.
        let reserved = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Bool, any Error>) in
                let outcome: Result<Bool, any Error>? = self.state.withLock { state in
                    if let failure = state.failure { return .failure(failure) }
                    if Task.isCancelled { return .failure(CancellationError()) }
                    if state.canSend {
                        state.window -= bytes
                        return .success(true)
                    }
                    precondition(state.waiter == nil, "one writer per stream")
                    state.waiter = continuation
                    return nil
                }
                if let outcome { continuation.resume(with: outcome) }
            }
        } onCancel: {
            let waiter = self.state.withLock { state in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(throwing: CancellationError())
        }
        if reserved { return }
        try self.state.withLock { state in
            if let failure = state.failure { throw failure }
            state.window -= bytes
        }
    }

    /// The peer granted more credit (a WINDOW_UPDATE). False if that would take the
    /// window past `maximumWindow`, which is the peer's flow-control error.
    func grant(_ increment: Int) -> Bool {
        var overflow = false
        self.update { state in
            if state.window > Self.maximumWindow - increment {
                overflow = true
            } else {
                state.window += increment
            }
        }
        return !overflow
    }

    /// The stream is on the wire now: messages may go.
    func markOpen() {
        self.update { $0.open = true }
    }

    /// The socket became writable or unwritable.
    func setWritable(_ writable: Bool) {
        self.update { $0.writable = writable }
    }

    /// The stream ended: every waiting and future write throws `error`.
    func fail(_ error: any Error) {
        let waiter: CheckedContinuation<Bool, any Error>? = self.state.withLock { state in
            if state.failure == nil { state.failure = error }
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(throwing: error)
    }

    private func update(_ body: (inout State) -> Void) {
        let waiter: CheckedContinuation<Bool, any Error>? = self.state.withLock { state in
            body(&state)
            guard state.canSend, let waiter = state.waiter else { return nil }
            state.waiter = nil
            return waiter
        }
        waiter?.resume(returning: false)
    }
}
