import Synchronization

/// How many audit reports this replica builds at once (CONFORM_REPORTING_MAX_REPORTS,
/// default 2): each holds a database connection and its rows while it streams.
final class ReportSlots: Sendable {
    let limit: Int
    private let taken = Mutex(0)

    init(limit: Int) {
        self.limit = limit
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

    /// One report's hold on a slot; `release` gives it back.
    struct Slot: Sendable {
        let slots: ReportSlots

        func release() {
            self.slots.taken.withLock { $0 -= 1 }
        }
    }
}
