import Synchronization

/// Events read from a feed and not yet applied: the reader adds them one at a time as they
/// arrive, the applier takes all that have arrived at once, so a burst is applied in one
/// transaction instead of one each. Bounded: a reader `capacity` events ahead waits.
final class EventBatches: Sendable {
    private struct State {
        var events: [FeedEvent] = []
        /// The reader is done: no more events will come.
        var finished = false
        /// The applier is gone: events added now are dropped.
        var closed = false
        var reader: CheckedContinuation<Void, Never>?
        var applier: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())
    let capacity: Int

    init(capacity: Int = 500) {
        precondition(capacity >= 1)
        self.capacity = capacity
    }

    /// Adds `event`, waiting while the buffer is full. False once the applier has gone.
    func add(_ event: FeedEvent) async -> Bool {
        while true {
            enum Step { case added(CheckedContinuation<Void, Never>?), closed, full }
            let step = self.state.withLock { state -> Step in
                if state.closed { return .closed }
                guard state.events.count < self.capacity else { return .full }
                state.events.append(event)
                defer { state.applier = nil }
                return .added(state.applier)
            }
            switch step {
            case .added(let applier):
                applier?.resume()
                return true
            case .closed:
                return false
            case .full:
                await withCheckedContinuation { continuation in
                    let waitNot = self.state.withLock { state -> Bool in
                        if state.closed || state.events.count < self.capacity { return true }
                        state.reader = continuation
                        return false
                    }
                    if waitNot { continuation.resume() }
                }
            }
        }
    }

    /// The reader is done (its stream ended or failed): the applier takes what is left, then stops.
    func finish() {
        let applier = self.state.withLock { state in
            state.finished = true
            defer { state.applier = nil }
            return state.applier
        }
        applier?.resume()
    }

    /// The applier is gone (it failed): a waiting reader stops adding.
    func close() {
        let reader = self.state.withLock { state in
            state.closed = true
            state.events.removeAll()
            defer { state.reader = nil }
            return state.reader
        }
        reader?.resume()
    }

    /// Every event added and not yet taken, waiting while there are none; nil once the
    /// reader has finished and all were taken.
    func take() async -> [FeedEvent]? {
        while true {
            enum Step { case events([FeedEvent], CheckedContinuation<Void, Never>?), done, empty }
            let step = self.state.withLock { state -> Step in
                if !state.events.isEmpty {
                    defer {
                        state.events.removeAll(keepingCapacity: true)
                        state.reader = nil
                    }
                    return .events(state.events, state.reader)
                }
                return state.finished ? .done : .empty
            }
            switch step {
            case .events(let events, let reader):
                reader?.resume()
                return events
            case .done:
                return nil
            case .empty:
                await withCheckedContinuation { continuation in
                    let waitNot = self.state.withLock { state -> Bool in
                        if state.finished || !state.events.isEmpty { return true }
                        state.applier = continuation
                        return false
                    }
                    if waitNot { continuation.resume() }
                }
            }
        }
    }
}
