import Synchronization

/// Tells waiters that something changed: each change bumps a generation, and a waiter
/// returns once the generation passes the one it last saw, at its time limit, or when its
/// task is cancelled. Waiters then look for themselves: a signal carries no data, so one
/// missed or doubled does no harm beyond a look.
public final class ChangeSignal: Sendable {
    private struct State {
        var generation: UInt64 = 0
        var nextWaiter: UInt64 = 0
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        /// Waiters woken (by their time limit or cancellation) before they were waiting: on a
        /// busy machine the timer can fire before its waiter has registered.
        var wokenEarly: Set<UInt64> = []
    }

    private let state = Mutex(State())

    public init() {}

    /// The generation now: pass it to `wait(past:atMost:)` before looking.
    public var generation: UInt64 {
        self.state.withLock { $0.generation }
    }

    /// Something changed: wake every waiter.
    public func signal() {
        let waiters = self.state.withLock { state in
            state.generation &+= 1
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once the generation is past `seen`, after `limit`, or when cancelled.
    public func wait(past seen: UInt64, atMost limit: Duration) async {
        let id = self.state.withLock { state in
            defer { state.nextWaiter &+= 1 }
            return state.nextWaiter
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                // Cancelled when the change comes first: then it wakes nobody.
                if (try? await Task.sleep(for: limit)) != nil { self.wake(id) }
            }
            await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let ready = self.state.withLock { state -> Bool in
                        if state.generation != seen || Task.isCancelled || state.wokenEarly.remove(id) != nil { return true }
                        state.waiters[id] = continuation
                        return false
                    }
                    if ready { continuation.resume() }
                }
            } onCancel: {
                self.wake(id)
            }
            group.cancelAll()
        }
        // The timer may have fired as the wait ended another way.
        _ = self.state.withLock { $0.wokenEarly.remove(id) }
    }

    private func wake(_ id: UInt64) {
        let waiter = self.state.withLock { state -> CheckedContinuation<Void, Never>? in
            if let waiter = state.waiters.removeValue(forKey: id) { return waiter }
            state.wokenEarly.insert(id)
            return nil
        }
        waiter?.resume()
    }
}
