import ConformStorage
import Testing

@Suite("Change signal (no database)", .timeLimit(.minutes(1)))
struct ChangeSignalTests {
    @Test("a wait ends at its limit, even a limit that passes before it starts waiting")
    func limit() async {
        let signal = ChangeSignal()
        let seen = signal.generation
        for _ in 0..<200 {
            await signal.wait(past: seen, atMost: .zero)
        }
        let start = ContinuousClock.now
        await signal.wait(past: seen, atMost: .milliseconds(50))
        #expect(ContinuousClock.now - start >= .milliseconds(50))
    }

    @Test("a signal wakes every waiter at once; one that came before the wait is not missed")
    func wakes() async {
        let signal = ChangeSignal()
        let seen = signal.generation
        let start = ContinuousClock.now
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<50 {
                group.addTask { await signal.wait(past: seen, atMost: .seconds(30)) }
            }
            // Some waiters are waiting, some not yet: all must return.
            signal.signal()
        }
        #expect(ContinuousClock.now - start < .seconds(10))
        #expect(signal.generation == seen + 1)
    }

    @Test("cancelling a waiting task ends its wait")
    func cancelled() async {
        let signal = ChangeSignal()
        let start = ContinuousClock.now
        let waiting = Task { await signal.wait(past: signal.generation, atMost: .seconds(30)) }
        waiting.cancel()
        await waiting.value
        #expect(ContinuousClock.now - start < .seconds(10))
    }
}
