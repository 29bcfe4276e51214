public import Logging
import Synchronization

/// Calls' audit entries, committed together (group commit): a call whose entry finds fewer
/// than `concurrentInserts` inserts under way inserts it at once, in its own task; entries
/// that arrive meanwhile wait, and when an insert ends, the first of them inserts every
/// waiting entry (up to `batchLimit`) in one autocommit statement. Each caller returns only
/// once its own entry is durable, or throws if it could not be recorded: no entry, no access.
///
/// At one call in flight this is one INSERT per call, as before; at 32 in flight it is a
/// handful of INSERTs and commits where there were 32. No task of its own, no timer: waiting
/// callers are woken by the insert ahead of them, which is bounded by the pool's connect
/// timeout and the database's statement timeout.
public final class AuditEntryQueue: Sendable {
    /// Inserts entries in one statement and returns once they are durable.
    private let insert: @Sendable ([AuditRecord], Logger) async throws -> Void
    /// Inserts at once: more than one keeps the next batch going while a commit flushes.
    public let concurrentInserts: Int
    /// Entries per statement at most.
    public let batchLimit: Int

    private struct State {
        var waiting: [Ticket] = []
        var inserting = 0
    }

    private let state = Mutex(State())

    /// Entries go to `database`'s audit trail.
    public convenience init(database: Database, concurrentInserts: Int = 2, batchLimit: Int = 256) {
        self.init(concurrentInserts: concurrentInserts, batchLimit: batchLimit) { records, logger in
            try await AuditTrailStore.append(records, to: database, logger: logger)
        }
    }

    /// Entries go wherever `insert` puts them (tests count its batches).
    public init(
        concurrentInserts: Int = 2,
        batchLimit: Int = 256,
        insert: @escaping @Sendable ([AuditRecord], Logger) async throws -> Void
    ) {
        precondition(concurrentInserts >= 1 && batchLimit >= 1)
        self.insert = insert
        self.concurrentInserts = concurrentInserts
        self.batchLimit = batchLimit
    }

    /// Entries waiting for an insert to take them.
    public var waiting: Int {
        self.state.withLock { $0.waiting.count }
    }

    /// Records `record` and returns once it is durable.
    public func append(_ record: AuditRecord, logger: Logger) async throws {
        let ticket = Ticket(record: record)
        let insertsNow = self.state.withLock { state in
            if state.inserting < self.concurrentInserts {
                state.inserting += 1
                return true
            }
            state.waiting.append(ticket)
            return false
        }
        if !insertsNow {
            switch await ticket.turn() {
            case .recorded(let result):
                return try result.get()
            case .insertNext:
                // Handed an insert slot by the insert that just ended; no longer waiting.
                break
            }
        }
        try await self.insertBatch(leading: ticket, logger: logger)
    }

    /// Inserts `ticket`'s entry with whatever waits behind it, then hands the slot on.
    private func insertBatch(leading ticket: Ticket, logger: Logger) async throws {
        let others = self.state.withLock { state in
            let count = min(state.waiting.count, self.batchLimit - 1)
            defer { state.waiting.removeFirst(count) }
            return Array(state.waiting.prefix(count))
        }
        let records = [ticket.record] + others.map(\.record)
        let result: Result<Void, any Error>
        do {
            // Other callers' entries ride on this insert: a cancellation of this caller's call
            // (its client went away) must not fail theirs, so the insert runs in a task of its
            // own, which this task's cancellation does not reach. It is awaited, never left.
            let insert = self.insert
            try await Task { try await insert(records, logger) }.value
            result = .success(())
        } catch {
            result = .failure(error)
        }
        for other in others {
            other.decide(.recorded(result))
        }
        let next = self.state.withLock { state -> Ticket? in
            guard !state.waiting.isEmpty else {
                state.inserting -= 1
                return nil
            }
            return state.waiting.removeFirst()
        }
        next?.decide(.insertNext)
        try result.get()
    }

    /// One caller's entry while it waits, and what it is told when its wait ends.
    private final class Ticket: Sendable {
        enum Turn: Sendable {
            /// Another caller inserted the entry (or failed to).
            case recorded(Result<Void, any Error>)
            /// The caller is to insert its entry itself, with those waiting behind it.
            case insertNext
        }

        private enum Phase {
            case queued
            case waiting(CheckedContinuation<Turn, Never>)
            case decided(Turn)
        }

        let record: AuditRecord
        private let phase = Mutex<Phase>(.queued)

        init(record: AuditRecord) {
            self.record = record
        }

        /// Ends the wait; called once per ticket, whether its caller is waiting yet or not.
        func decide(_ turn: Turn) {
            let waiter = self.phase.withLock { phase -> CheckedContinuation<Turn, Never>? in
                switch phase {
                case .queued:
                    phase = .decided(turn)
                    return nil
                case .waiting(let continuation):
                    phase = .decided(turn)
                    return continuation
                case .decided:
                    preconditionFailure("an audit entry's wait was ended twice")
                }
            }
            waiter?.resume(returning: turn)
        }

        /// Waits until `decide`; at once if it came first.
        func turn() async -> Turn {
            await withCheckedContinuation { continuation in
                let decided = self.phase.withLock { phase -> Turn? in
                    if case .decided(let turn) = phase { return turn }
                    phase = .waiting(continuation)
                    return nil
                }
                if let decided { continuation.resume(returning: decided) }
            }
        }
    }
}
