public import Foundation

/// An evidence item as compliance sees it.
public struct EvidenceFact: Sendable, Equatable {
    public enum Kind: Sendable, Equatable { case document, photo }

    public var id: Int64
    public var kind: Kind
    public var type: String
    public var mediaType: String
    public var metadata: [String: String]
    public var uploaderCertifications: [String]

    public init(id: Int64, kind: Kind, type: String, mediaType: String, metadata: [String: String], uploaderCertifications: [String]) {
        self.id = id
        self.kind = kind
        self.type = type
        self.mediaType = mediaType
        self.metadata = metadata
        self.uploaderCertifications = uploaderCertifications
    }
}

/// A signature as compliance sees it: only a valid one (its key, its record, unchanged) counts.
public struct SignatureFact: Sendable, Equatable {
    public var id: Int64
    /// "batch:NUMBER" or "evidence:ID".
    public var target: String
    public var meaning: SignatureMeaning
    public var signer: String
    public var rolesHeld: [String]
    public var certificationsHeld: [String]
    public var isValid: Bool

    public init(id: Int64, target: String, meaning: SignatureMeaning, signer: String, rolesHeld: [String], certificationsHeld: [String], isValid: Bool) {
        self.id = id
        self.target = target
        self.meaning = meaning
        self.signer = signer
        self.rolesHeld = rolesHeld
        self.certificationsHeld = certificationsHeld
        self.isValid = isValid
    }
}

/// A material lot a batch consumes, as the supplier service received it.
public struct LotFact: Sendable, Equatable {
    public var lot: String
    public var supplier: String
    public var material: String
    public var blockedReasons: [String]
    public var exceptionApproved: Bool
    /// The supplier's passed audits.
    public var auditDates: [Day]

    public init(lot: String, supplier: String, material: String, blockedReasons: [String], exceptionApproved: Bool, auditDates: [Day]) {
        self.lot = lot
        self.supplier = supplier
        self.material = material
        self.blockedReasons = blockedReasons
        self.exceptionApproved = exceptionApproved
        self.auditDates = auditDates
    }

    /// Blocked at receipt and not released by an approved exception.
    public var isBlocked: Bool { !self.blockedReasons.isEmpty && !self.exceptionApproved }
}

/// A quality manager's waiver of one requirement for one batch.
public struct Waiver: Sendable, Equatable {
    public var customer: String
    public var requirementID: String
    public var reason: String
    public var approvalReference: String
    public var waivedBy: String

    public init(customer: String, requirementID: String, reason: String, approvalReference: String, waivedBy: String) {
        self.customer = customer
        self.requirementID = requirementID
        self.reason = reason
        self.approvalReference = approvalReference
        self.waivedBy = waivedBy
    }
}

/// What the rules read of a batch record itself.
public struct RecordFacts: Sendable, Equatable {
    public var number: String
    public var manufactureDate: Day
    public var quantity: Int
    public var fields: [String: String]
    /// Units with a serial number, and of those, units with an NFC tag.
    public var serialized: Int
    public var nfcTagged: Int

    public init(number: String, manufactureDate: Day, quantity: Int, fields: [String: String], serialized: Int, nfcTagged: Int) {
        self.number = number
        self.manufactureDate = manufactureDate
        self.quantity = quantity
        self.fields = fields
        self.serialized = serialized
        self.nfcTagged = nfcTagged
    }
}
