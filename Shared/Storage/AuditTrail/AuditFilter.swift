/// Which entries a reader wants; an empty criterion matches every entry, and all given must match.
public struct AuditFilter: Sendable, Equatable {
    public var principal: String?
    /// The RPC as entries spell it, e.g. "conform.batch.v1.BatchService/Release".
    public var action: String?
    public var outcome: AuditRecord.Outcome?
    /// Recorded at or after this, UTC microseconds.
    public var recordedFromMicros: Int64?
    /// Recorded before this, UTC microseconds.
    public var recordedUntilMicros: Int64?
    public var requestID: String?

    public init(
        principal: String? = nil,
        action: String? = nil,
        outcome: AuditRecord.Outcome? = nil,
        recordedFromMicros: Int64? = nil,
        recordedUntilMicros: Int64? = nil,
        requestID: String? = nil
    ) {
        self.principal = principal
        self.action = action
        self.outcome = outcome
        self.recordedFromMicros = recordedFromMicros
        self.recordedUntilMicros = recordedUntilMicros
        self.requestID = requestID
    }

    /// Whether it leaves every entry in.
    public var isEmpty: Bool { self == AuditFilter() }

    /// Whether `entry` passes (for entries read outside SQL: the unsealed tail).
    public func admits(_ entry: AuditEntry) -> Bool {
        if let principal, entry.record.principal != principal { return false }
        if let action, entry.record.action != action { return false }
        if let outcome, entry.record.outcome != outcome { return false }
        if let recordedFromMicros, entry.recordedAtMicros < recordedFromMicros { return false }
        if let recordedUntilMicros, entry.recordedAtMicros >= recordedUntilMicros { return false }
        if let requestID, entry.record.requestID != requestID { return false }
        return true
    }
}
