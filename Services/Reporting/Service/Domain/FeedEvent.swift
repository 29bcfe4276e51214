public import ConformDomain

/// One event read from another service's feed.
public struct FeedEvent: Sendable, Equatable {
    /// The service it came from, e.g. "batch".
    public var source: String
    public var cursor: String
    public var type: String
    public var subject: String
    public var payloadJSON: String
    public var occurredAtMicros: Int64

    public init(source: String, cursor: String, type: String, subject: String, payloadJSON: String, occurredAtMicros: Int64) {
        self.source = source
        self.cursor = cursor
        self.type = type
        self.subject = subject
        self.payloadJSON = payloadJSON
        self.occurredAtMicros = occurredAtMicros
    }
}

/// A batch as the read model knows it.
public struct BatchSummary: Sendable, Equatable {
    public var number: String
    public var customer: String
    public var product: String
    /// "open", "released" or "rejected".
    public var status: String
    public var manufactureDate: Day
    /// Whether the read model has read the batch's compliance (a batch without requirements
    /// has none to show, yet is evaluated).
    public var isEvaluated: Bool
    /// A completed record's amendments, each with its approval, in words.
    public var amendments: [String]

    public init(
        number: String, customer: String, product: String, status: String, manufactureDate: Day, isEvaluated: Bool = false, amendments: [String] = []
    ) {
        self.number = number
        self.customer = customer
        self.product = product
        self.status = status
        self.manufactureDate = manufactureDate
        self.isEvaluated = isEvaluated
        self.amendments = amendments
    }
}

/// Which events change what the read model holds.
public enum Projection {
    /// The batch service's events whose payload is the batch as it is after the change.
    public static let batchStateEvents: Set<String> = [
        "batch.created", "batch.fields-recorded", "batch.serialized", "batch.nfc-tagged",
        "batch.released", "batch.rejected", "batch.amended", "batch.requirement-waived",
        "batch.lots-consumed", "batch.legal-hold-set", "batch.legal-hold-lifted", "batch.archived",
    ]

    /// Whether `event` carries a batch's new state.
    public static func carriesBatch(_ event: FeedEvent) -> Bool {
        event.source == "batch" && Self.batchStateEvents.contains(event.type)
    }
}

/// What an event says about a batch whose compliance may have changed.
public enum BatchTouch: Sendable, Equatable {
    /// This batch.
    case batch(String)
    /// The batch of this evidence item, and the item is now known to belong to it.
    case itemAttached(item: Int64, batch: String)
    /// The batch that evidence item belongs to.
    case item(Int64)
}

/// Per requirement, what the batch service last decided for a batch.
public struct RequirementState: Sendable, Equatable {
    public var customer: String
    public var requirementID: String
    public var version: String
    public var isMandatory: Bool
    /// "satisfied", "unsatisfied", "waived" or "not applicable".
    public var state: String
    public var missing: [String]
    /// The evidence items its compliance counted.
    public var evidence: [Int64]

    /// The requirement, with its customer.
    public var requirement: RequirementRef { RequirementRef(customer: self.customer, id: self.requirementID) }

    public init(
        customer: String, requirementID: String, version: String, isMandatory: Bool, state: String, missing: [String], evidence: [Int64] = []
    ) {
        self.customer = customer
        self.requirementID = requirementID
        self.version = version
        self.isMandatory = isMandatory
        self.state = state
        self.missing = missing
        self.evidence = evidence
    }
}

/// What one event changes in the read model besides the journal.
public enum ReadModelChange: Sendable, Equatable {
    /// The batch as it is after the event.
    case batch(BatchSummary)
    /// An evidence item attached to a batch (correcting `supersedes` when not 0).
    case evidence(ArchivedItem, supersedes: Int64)
    /// A signature applied to "batch:NUMBER" or "evidence:ID".
    case signature(id: Int64, target: String, SignatureManifestation)
}
