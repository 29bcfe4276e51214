public import ConformDomain

/// Where a field of an exported record takes its value from.
public enum ExportSource: String, Sendable, CaseIterable, Equatable {
    case batchNumber = "batch.number"
    case product = "batch.product"
    case manufactureDate = "batch.manufacture_date"
    /// "open", "released" or "rejected".
    case status = "batch.status"
    /// "true" or "false": no requirement of the customer is unsatisfied.
    case compliant = "batch.compliant"
    /// The unsatisfied requirements and what they miss, "; "-separated ("" when compliant).
    case missing = "batch.missing"
    /// How many current (not superseded) evidence items the batch holds.
    case evidenceCount = "batch.evidence_count"
    /// The customer's code.
    case customer = "customer"
}

/// One element of an exported record and where its value comes from.
public struct ExportField: Sendable, Equatable {
    public var element: String
    public var source: ExportSource

    public init(element: String, source: ExportSource) {
        self.element = element
        self.source = source
    }
}

/// When an export is generated without being asked.
public enum ExportSchedule: String, Sendable, Equatable, CaseIterable {
    /// For each calendar month once it has ended.
    case monthly
    /// Only when someone asks.
    case onDemand = "on-demand"
}

/// A customer's export: its own XML element layout, versioned.
public struct ExportDefinition: Sendable, Equatable {
    public var customer: String
    public var name: String
    /// 1 for the first definition; each change of layout or schedule adds one.
    public var version: Int
    public var schedule: ExportSchedule
    public var rootElement: String
    public var recordElement: String
    public var fields: [ExportField]

    public init(customer: String, name: String, version: Int, schedule: ExportSchedule, rootElement: String, recordElement: String, fields: [ExportField]) {
        self.customer = customer
        self.name = name
        self.version = version
        self.schedule = schedule
        self.rootElement = rootElement
        self.recordElement = recordElement
        self.fields = fields
    }

    /// Whether `other` lays out the same document on the same schedule (the version aside).
    public func hasSameLayout(as other: ExportDefinition) -> Bool {
        self.schedule == other.schedule && self.rootElement == other.rootElement && self.recordElement == other.recordElement
            && self.fields == other.fields
    }
}

/// One batch, as an export reads it.
public struct ExportedBatch: Sendable, Equatable {
    public var number: String
    public var product: String
    public var manufactureDate: Day
    public var status: String
    public var compliant: Bool
    /// e.g. "CSR-B-0892: missing xml-export".
    public var missing: [String]
    public var evidenceCount: Int

    public init(number: String, product: String, manufactureDate: Day, status: String, compliant: Bool, missing: [String], evidenceCount: Int) {
        self.number = number
        self.product = product
        self.manufactureDate = manufactureDate
        self.status = status
        self.compliant = compliant
        self.missing = missing
        self.evidenceCount = evidenceCount
    }
}

/// A calendar month an export covers, written "YYYY-MM".
public struct ExportPeriod: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let year: Int
    public let month: Int

    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 4, parts[1].count == 2,
              let year = Int(parts[0]), let month = Int(parts[1]), (1...12).contains(month), (1900...9998).contains(year)
        else { return nil }
        self.year = year
        self.month = month
    }

    public init(containing day: Day) {
        self.year = day.year
        self.month = day.month
    }

    public var description: String {
        "\(self.year)-\(self.month < 10 ? "0" : "")\(self.month)"
    }

    /// Its first day (every year 1900…9998 the initializers allow has one).
    public var first: Day { Day("\(self)-01")! }

    public var last: Day { self.next.first.previous }

    public var next: ExportPeriod {
        self.month == 12 ? ExportPeriod(year: self.year + 1, month: 1) : ExportPeriod(year: self.year, month: self.month + 1)
    }

    public var previous: ExportPeriod {
        self.month == 1 ? ExportPeriod(year: self.year - 1, month: 12) : ExportPeriod(year: self.year, month: self.month - 1)
    }

    private init(year: Int, month: Int) {
        self.year = year
        self.month = month
    }

    public static func < (lhs: ExportPeriod, rhs: ExportPeriod) -> Bool {
        (lhs.year, lhs.month) < (rhs.year, rhs.month)
    }
}
