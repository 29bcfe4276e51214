/// What happened, as a service reports it to its audit trail.
public struct AuditRecord: Sendable, Equatable {
    /// How an attempt ended. A struct rather than an enum so that an entry written by a
    /// newer build still reads, and still hashes, exactly as stored.
    public struct Outcome: RawRepresentable, Hashable, Sendable {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        /// A call was answered: its handler returned without error (for a stream, the stream
        /// began). A write's call commits this entry with the write.
        public static let succeeded = Outcome(rawValue: "succeeded")
        /// A call was refused by authentication or authorization: the access table, or a rule
        /// such as a customer's scope (PERMISSION_DENIED, UNAUTHENTICATED).
        public static let denied = Outcome(rawValue: "denied")
        /// A call was refused by a rule of the domain: its request was invalid, or what it
        /// asked for is not possible now (`detail` holds the status code and reason).
        public static let refused = Outcome(rawValue: "refused")
        /// A call failed through no fault of its request: the database was unavailable, an
        /// internal error, a cancellation (`detail` holds the status code).
        public static let failed = Outcome(rawValue: "failed")
        /// Entries written before outcomes were recorded: the call passed authorization,
        /// whatever happened next.
        public static let allowed = Outcome(rawValue: "allowed")
        /// State changed: `detail` holds what changed.
        public static let write = Outcome(rawValue: "write")
    }

    /// The principal's name, or "" when the caller could not be identified.
    public var principal: String
    /// The RPC or operation, e.g. "conform.requirement.v1.RequirementService/CreateCustomer".
    public var action: String
    public var outcome: Outcome
    /// What was acted on, e.g. "customer:A" ("" when not known).
    public var object: String
    /// JSON: the state before and after for a write; the status code and reason for a
    /// call that did not succeed.
    public var detail: String
    public var requestID: String

    public init(principal: String, action: String, outcome: Outcome, object: String = "", detail: String = "{}", requestID: String) {
        self.principal = principal
        self.action = action
        self.outcome = outcome
        self.object = object
        self.detail = detail
        self.requestID = requestID
    }
}

/// An audit record as stored: its id, when it was recorded, and once sealed, its place in
/// the chain and its hash over its content and the hash before it.
public struct AuditEntry: Sendable, Equatable {
    /// Drawn when the entry was inserted; not in chain order (transactions commit in another).
    public var entryID: Int64
    /// UTC microseconds since the Unix epoch.
    public var recordedAtMicros: Int64
    public var record: AuditRecord
    /// Its place in the chain, nil until the sealer reaches it.
    public var seal: AuditSeal?

    public init(entryID: Int64, recordedAtMicros: Int64, record: AuditRecord, seal: AuditSeal?) {
        self.entryID = entryID
        self.recordedAtMicros = recordedAtMicros
        self.record = record
        self.seal = seal
    }
}

/// An entry's place in the chain.
public struct AuditSeal: Sendable, Equatable {
    /// Contiguous from 1.
    public var sequence: Int64
    public var sealedAtMicros: Int64
    /// The hash of the entry before (64 zeros for the first).
    public var previousHash: String
    public var hash: String

    public init(sequence: Int64, sealedAtMicros: Int64, previousHash: String, hash: String) {
        self.sequence = sequence
        self.sealedAtMicros = sealedAtMicros
        self.previousHash = previousHash
        self.hash = hash
    }
}
