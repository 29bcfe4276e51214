public import ConformDomain

/// A role (e.g. "inspector") or certification (e.g. "ndt-level-2") a person holds for a period.
public struct Qualification: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case role, certification
    }

    public var kind: Kind
    public var name: String
    public var validFrom: Day
    /// The last day it holds; nil when it does not lapse.
    public var validTo: Day?
    /// e.g. the certificate's number.
    public var reference: String
    public var grantedBy: String

    public init(kind: Kind, name: String, validFrom: Day, validTo: Day?, reference: String, grantedBy: String) {
        self.kind = kind
        self.name = name
        self.validFrom = validFrom
        self.validTo = validTo
        self.reference = reference
        self.grantedBy = grantedBy
    }

    /// Whether it holds on `day`.
    public func holds(on day: Day) -> Bool {
        self.validFrom <= day && (self.validTo.map { day <= $0 } ?? true)
    }
}

/// A person who signs records, with the key that proves a signature is theirs.
public struct Signatory: Sendable, Equatable {
    /// The principal they act as, from their certificate.
    public var principal: String
    public var printedName: String
    public var publicKeyPEM: String
    /// Hex SHA-256 of the public key's DER form.
    public var keyFingerprint: String
    public var qualifications: [Qualification]

    public init(principal: String, printedName: String, publicKeyPEM: String, keyFingerprint: String, qualifications: [Qualification]) {
        self.principal = principal
        self.printedName = printedName
        self.publicKeyPEM = publicKeyPEM
        self.keyFingerprint = keyFingerprint
        self.qualifications = qualifications
    }

    /// The roles held on `day`, sorted.
    public func roles(on day: Day) -> [String] {
        self.held(.role, on: day)
    }

    /// The certifications held on `day`, sorted.
    public func certifications(on day: Day) -> [String] {
        self.held(.certification, on: day)
    }

    private func held(_ kind: Qualification.Kind, on day: Day) -> [String] {
        Array(Set(self.qualifications.filter { $0.kind == kind && $0.holds(on: day) }.map(\.name))).sorted()
    }
}

/// The checks on signatories and their qualifications before they are stored.
public enum SignatoryRules {
    /// A qualification as granted, every error naming its field.
    public static func qualification(
        kind: Qualification.Kind?, name: String, validFrom: String, validTo: String, reference: String, grantedBy: String
    ) throws -> Qualification {
        guard let kind else {
            throw DomainError.invalid(field: "qualification.kind", reason: "is required: role or certification")
        }
        let from = try Day.parse(validFrom, field: "qualification.valid_from")
        let to = validTo.isEmpty ? nil : try Day.parse(validTo, field: "qualification.valid_to")
        if let to, to < from {
            throw DomainError.invalid(field: "qualification.valid_to", reason: "\(to) is before valid_from \(from)")
        }
        return Qualification(
            kind: kind,
            name: try EvidenceRuleRules.name(name, field: "qualification.name"),
            validFrom: from,
            validTo: to,
            reference: try FieldRules.optionalText(reference, field: "qualification.reference", maxLength: 200),
            grantedBy: grantedBy
        )
    }
}
