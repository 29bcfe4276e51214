public import ConformDomain

/// A signature as an auditor reads it: who, when, and what the signature meant.
public struct SignatureManifestation: Sendable, Equatable {
    public var printedName: String
    public var signer: String
    public var signedAtMicros: Int64
    /// "authored", "reviewed", "approved" or "responsible".
    public var meaning: String

    public init(printedName: String, signer: String, signedAtMicros: Int64, meaning: String) {
        self.printedName = printedName
        self.signer = signer
        self.signedAtMicros = signedAtMicros
        self.meaning = meaning
    }
}

/// One evidence item in the archive of an audit report.
public struct ArchivedItem: Sendable, Equatable {
    public var id: Int64
    public var batch: String
    /// The document or photo type, e.g. "certificate-of-analysis".
    public var type: String
    public var fileName: String
    public var mediaType: String
    /// Hex SHA-256 of the content.
    public var sha256: String
    public var size: Int64
    public var uploadedBy: String
    public var uploadedAtMicros: Int64
    /// The requirement versions it satisfies now, as the batch's compliance counted it
    /// (signatures included), e.g. "A/CSR-A-0201 v1.0".
    public var satisfies: [String]
    /// The requirement versions whose rules are about this kind of item, as it was tagged.
    public var concerns: [String]
    /// The item that corrected this one (0: it is current).
    public var supersededBy: Int64
    public var signatures: [SignatureManifestation]

    public init(
        id: Int64, batch: String, type: String, fileName: String, mediaType: String, sha256: String, size: Int64,
        uploadedBy: String, uploadedAtMicros: Int64, satisfies: [String], concerns: [String] = [], supersededBy: Int64,
        signatures: [SignatureManifestation]
    ) {
        self.id = id
        self.batch = batch
        self.type = type
        self.fileName = fileName
        self.mediaType = mediaType
        self.sha256 = sha256
        self.size = size
        self.uploadedBy = uploadedBy
        self.uploadedAtMicros = uploadedAtMicros
        self.satisfies = satisfies
        self.concerns = concerns
        self.supersededBy = supersededBy
        self.signatures = signatures
    }
}

/// How a batch stood on the requirements a report asks about.
public enum BatchOutcome: String, Sendable, Equatable {
    case compliant
    case nonCompliant = "non-compliant"
    /// The read model has not read the batch's compliance yet.
    case pending
}

/// One batch in an audit report.
public struct ReportedBatch: Sendable, Equatable {
    public var number: String
    public var product: String
    public var manufactureDate: Day
    /// "open", "released" or "rejected".
    public var status: String
    public var outcome: BatchOutcome
    /// Why it is not compliant, e.g. "CSR-A-0201: missing certificate-of-analysis".
    public var reasons: [String]
    /// Its record's amendments after completion, each with its approval.
    public var amendments: [String]

    public init(
        number: String, product: String, manufactureDate: Day, status: String, outcome: BatchOutcome, reasons: [String], amendments: [String] = []
    ) {
        self.number = number
        self.product = product
        self.manufactureDate = manufactureDate
        self.status = status
        self.outcome = outcome
        self.reasons = reasons
        self.amendments = amendments
    }
}

/// Compliance of the batches made in one week of the period.
public struct CompliancePoint: Sendable, Equatable {
    /// The Monday the week starts on (or the period's first day).
    public var weekStarting: Day
    public var batches: Int
    public var compliant: Int

    public init(weekStarting: Day, batches: Int, compliant: Int) {
        self.weekStarting = weekStarting
        self.batches = batches
        self.compliant = compliant
    }
}

/// An audit evidence report: what a customer's auditor is handed.
public struct AuditReport: Sendable, Equatable {
    public var customer: String
    /// The requirements asked about; empty: all of the customer's.
    public var requirementIDs: [String]
    public var from: Day
    public var to: Day
    public var generatedBy: String
    public var generatedAtMicros: Int64
    /// Every batch made for the customer in the period, oldest first.
    public var batches: [ReportedBatch]
    /// The seed the sample was drawn with; the same seed on the same archive draws the same sample.
    public var seed: UInt64
    public var sample: [ArchivedItem]
    /// How many evidence items those batches have, superseded ones included. The items
    /// themselves are streamed, never held by the report: a two-year archive is too big.
    public var archiveCount: Int
    public var overTime: [CompliancePoint]

    public init(
        customer: String, requirementIDs: [String], from: Day, to: Day, generatedBy: String, generatedAtMicros: Int64,
        batches: [ReportedBatch], seed: UInt64, sample: [ArchivedItem], archiveCount: Int, overTime: [CompliancePoint]
    ) {
        self.customer = customer
        self.requirementIDs = requirementIDs
        self.from = from
        self.to = to
        self.generatedBy = generatedBy
        self.generatedAtMicros = generatedAtMicros
        self.batches = batches
        self.seed = seed
        self.sample = sample
        self.archiveCount = archiveCount
        self.overTime = overTime
    }

    public var total: Int { self.batches.count }
    public var compliant: Int { self.batches.count { $0.outcome == .compliant } }
    public var nonCompliant: Int { self.batches.count { $0.outcome == .nonCompliant } }
    public var pending: Int { self.batches.count { $0.outcome == .pending } }
    /// Compliant batches as a percentage of those evaluated (100 when there are none).
    public var compliancePercent: Double {
        let evaluated = self.compliant + self.nonCompliant
        return evaluated == 0 ? 100 : Double(self.compliant) * 100 / Double(evaluated)
    }
}
