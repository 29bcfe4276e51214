import GRPCCore
import Synchronization

/// How many audit reports this replica builds at once (CONFORM_REPORTING_MAX_REPORTS,
/// default 2), and for how long each may take (CONFORM_REPORTING_REPORT_TIMEOUT_MS, default
/// 10 minutes): each holds a database connection and a read snapshot while it streams, so a
/// caller that stops reading must not hold them for ever.
final class ReportSlots: Sendable {
    let limit: Int
    let timeout: Duration
    private let taken = Mutex(0)

    init(limit: Int, timeout: Duration) {
        self.limit = limit
        self.timeout = timeout
    }

    /// A slot, or nil when every one is taken.
    func take() -> Slot? {
        let got = self.taken.withLock { taken in
            guard taken < self.limit else { return false }
            taken += 1
            return true
        }
        return got ? Slot(slots: self) : nil
    }

    /// Runs `build`, cancelling it when it has not finished within the timeout: its writes
    /// to a caller that stopped reading then fail, and it gives back what it holds.
    func withinTimeout(_ build: @escaping @Sendable () async throws -> Void) async throws {
        let timeout = self.timeout
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await build() }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw RPCError(
                    code: .deadlineExceeded,
                    message: "the audit report was not finished within \(timeout) (CONFORM_REPORTING_REPORT_TIMEOUT_MS): "
                        + "read its parts as they arrive, or ask for a shorter period"
                )
            }
            // The first to end decides: the report, or its timeout.
            try await group.next()
            group.cancelAll()
        }
    }

    /// One report's hold on a slot; `release` gives it back.
    struct Slot: Sendable {
        let slots: ReportSlots

        func release() {
            self.slots.taken.withLock { $0 -= 1 }
        }
    }
}
