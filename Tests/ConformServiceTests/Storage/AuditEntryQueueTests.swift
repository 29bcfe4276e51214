import ConformStorage
import Logging
import Synchronization
import Testing

@Suite("Audit entry group commit (no database)", .timeLimit(.minutes(1)))
struct AuditEntryQueueTests {
    /// Records each batch. Inserts wait at a gate until the test opens it, so callers pile up
    /// behind the first ones as they do behind a commit.
    final class Inserts: Sendable {
        struct State {
            var batches: [[String]] = []
            var running = 0
            var mostRunning = 0
        }

        let state = Mutex(State())
        let gate = ChangeSignal()
        /// Batches of more entries than this fail.
        let failAbove: Int

        init(open: Bool, failAbove: Int = .max) {
            self.failAbove = failAbove
            if open { self.gate.signal() }
        }

        func insert(_ records: [AuditRecord]) async throws {
            self.state.withLock { state in
                state.running += 1
                state.mostRunning = max(state.mostRunning, state.running)
            }
            if self.gate.generation == 0 { await self.gate.wait(past: 0, atMost: .seconds(20)) }
            // As a database call does when its task is cancelled.
            if Task.isCancelled {
                self.state.withLock { $0.running -= 1 }
                throw CancellationError()
            }
            let fails = records.count > self.failAbove
            self.state.withLock { state in
                state.running -= 1
                if !fails { state.batches.append(records.map(\.requestID)) }
            }
            if fails { throw Refused() }
        }

        var running: Int { self.state.withLock { $0.running } }
        var batches: [[String]] { self.state.withLock { $0.batches } }

        struct Refused: Error {}
    }

    static func record(_ id: Int) -> AuditRecord {
        AuditRecord(principal: "p", action: "a/B", outcome: .succeeded, requestID: "r\(id)")
    }

    static let logger = Logger(label: "test")

    @Test("calls that arrive while inserts are under way go in together; each entry once; never more inserts at once than allowed")
    func groupsWaitingCalls() async throws {
        let inserts = Inserts(open: false)
        let queue = AuditEntryQueue(concurrentInserts: 2, batchLimit: 16) { records, _ in try await inserts.insert(records) }
        let calls = 50
        try await withThrowingTaskGroup(of: Void.self) { group in
            for id in 0..<calls {
                group.addTask { try await queue.append(Self.record(id), logger: Self.logger) }
            }
            // Two inserts held at the gate, everyone else waiting behind them.
            while inserts.running < 2 || queue.waiting < calls - 2 { await Task.yield() }
            inserts.gate.signal()
            try await group.waitForAll()
        }
        let batches = inserts.batches
        #expect(batches.flatMap { $0 }.sorted() == (0..<calls).map { "r\($0)" }.sorted())
        // 2 alone, then 48 in batches of at most 16: 3 if each takes all it may, a few more
        // when two inserts hand over at the same moment; one per call without grouping.
        #expect(batches.count <= 8)
        #expect(batches.allSatisfy { $0.count <= 16 })
        #expect(inserts.state.withLock { $0.mostRunning } == 2)
        #expect(queue.waiting == 0)
    }

    @Test("one call alone is inserted at once, by itself")
    func aloneAtOnce() async throws {
        let inserts = Inserts(open: true)
        let queue = AuditEntryQueue { records, _ in try await inserts.insert(records) }
        try await queue.append(Self.record(1), logger: Self.logger)
        #expect(inserts.batches == [["r1"]])
    }

    @Test("a call cancelled while it inserts others' entries with its own fails none of them")
    func cancelledLeader() async throws {
        let inserts = Inserts(open: false)
        let queue = AuditEntryQueue(concurrentInserts: 1) { records, _ in try await inserts.insert(records) }
        async let first: Void = queue.append(Self.record(0), logger: Self.logger)
        while inserts.running < 1 { await Task.yield() }
        // r1 waits first, so it inserts next, for r2 and r3 as well; its own call is cancelled.
        let leader = Task { try await queue.append(Self.record(1), logger: Self.logger) }
        while queue.waiting < 1 { await Task.yield() }
        async let second: Void = queue.append(Self.record(2), logger: Self.logger)
        async let third: Void = queue.append(Self.record(3), logger: Self.logger)
        while queue.waiting < 3 { await Task.yield() }
        leader.cancel()
        inserts.gate.signal()
        try await first
        try await second
        try await third
        try await leader.value
        #expect(inserts.batches == [["r0"], ["r1", "r2", "r3"]])
    }

    @Test("when an insert fails, every call in it fails, and later calls are still inserted")
    func failureReachesEveryone() async throws {
        let inserts = Inserts(open: false, failAbove: 1)
        let queue = AuditEntryQueue(concurrentInserts: 1) { records, _ in try await inserts.insert(records) }
        let failures = await withTaskGroup(of: Bool.self) { group in
            group.addTask { (try? await queue.append(Self.record(0), logger: Self.logger)) == nil }
            while inserts.running < 1 { await Task.yield() }
            for id in 1...5 {
                group.addTask { (try? await queue.append(Self.record(id), logger: Self.logger)) == nil }
            }
            // r0 alone at the gate, r1 to r5 behind it: they go in as one batch, which fails.
            while queue.waiting < 5 { await Task.yield() }
            inserts.gate.signal()
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(failures == 5)
        try await queue.append(Self.record(6), logger: Self.logger)
        #expect(inserts.batches == [["r0"], ["r6"]])
    }
}
