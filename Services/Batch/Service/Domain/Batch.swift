public import ConformDomain

/// A customer's order or contract for a quantity of a product.
public struct Order: Sendable, Equatable {
    /// The customer's order or contract reference, e.g. "PO-A-2024-118".
    public var reference: String
    public var customer: String
    public var product: String
    public var quantity: Int

    public init(reference: String, customer: String, product: String, quantity: Int) {
        self.reference = reference
        self.customer = customer
        self.product = product
        self.quantity = quantity
    }
}

/// Where a batch stands: open while it is made, then released or rejected, and read-only.
public enum BatchStatus: String, Sendable, Equatable {
    case open, released, rejected
}

/// A requirement version frozen into a batch when it was created: later changes to the
/// requirement never rewrite it.
public struct SnapshotRequirement: Sendable, Equatable, Codable {
    public var customer: String
    public var id: String
    public var isMandatory: Bool
    public var version: String
    public var title: String
    public var rules: [EvidenceRule]

    public init(customer: String, id: String, isMandatory: Bool, version: String, title: String, rules: [EvidenceRule]) {
        self.customer = customer
        self.id = id
        self.isMandatory = isMandatory
        self.version = version
        self.title = title
        self.rules = rules
    }

    /// e.g. "A/CSR-AUTO-0847 v1.0".
    public var label: String { "\(self.customer)/\(self.id) v\(self.version)" }
}

/// One unit's serial number and what identifies it physically.
public struct Serial: Sendable, Equatable {
    public var serial: String
    /// What the unit's QR code holds: a link that resolves to the batch's genealogy.
    public var qrPayload: String
    /// The NFC tag's UID, once one is written.
    public var nfcTag: String?

    public init(serial: String, qrPayload: String, nfcTag: String?) {
        self.serial = serial
        self.qrPayload = qrPayload
        self.nfcTag = nfcTag
    }
}

/// A batch: a quantity of a product made for one customer on a day, and its record.
public struct Batch: Sendable, Equatable {
    public var number: String
    public var product: String
    /// The destination customer.
    public var customer: String
    public var orderReference: String
    public var manufactureDate: Day
    public var quantity: Int
    public var status: BatchStatus
    public var consolidated: Bool
    public var requirements: [SnapshotRequirement]
    /// The record's fields, name to value.
    public var fields: [String: String]
    public var serials: [Serial]
    /// Material lots the batch consumes.
    public var lots: [String]
    public var legalHold: String?
    public var archived: Bool

    public init(
        number: String, product: String, customer: String, orderReference: String, manufactureDate: Day, quantity: Int,
        status: BatchStatus = .open, consolidated: Bool, requirements: [SnapshotRequirement], fields: [String: String] = [:],
        serials: [Serial] = [], lots: [String] = [], legalHold: String? = nil, archived: Bool = false
    ) {
        self.number = number
        self.product = product
        self.customer = customer
        self.orderReference = orderReference
        self.manufactureDate = manufactureDate
        self.quantity = quantity
        self.status = status
        self.consolidated = consolidated
        self.requirements = requirements
        self.fields = fields
        self.serials = serials
        self.lots = lots
        self.legalHold = legalHold
        self.archived = archived
    }

    /// Released or rejected: the record is read-only.
    public var isComplete: Bool { self.status != .open }

    /// What the evidence rules read of the record.
    public var facts: RecordFacts {
        RecordFacts(
            number: self.number, manufactureDate: self.manufactureDate, quantity: self.quantity, fields: self.fields,
            serialized: self.serials.count, nfcTagged: self.serials.filter { $0.nfcTag != nil }.count
        )
    }

    /// The record fields this batch's requirements ask for, with their types.
    public var requiredFields: [String: RecordField.ValueType] {
        var fields: [String: RecordField.ValueType] = [:]
        for requirement in self.requirements {
            for case .recordFields(let list) in requirement.rules {
                for field in list { fields[field.name] = field.type }
            }
        }
        return fields
    }

    /// The serialization methods this batch's requirements ask for.
    public var serializationMethods: Set<SerializationMethod> {
        var methods = Set<SerializationMethod>()
        for requirement in self.requirements {
            for case .serialization(let list) in requirement.rules { methods.formUnion(list) }
        }
        return methods
    }
}
