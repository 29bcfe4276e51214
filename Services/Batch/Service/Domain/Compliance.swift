public import ConformDomain

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

/// Where one requirement of a batch stands, and why.
public struct RequirementCompliance: Sendable, Equatable {
    public enum State: String, Sendable, Equatable {
        case satisfied, unsatisfied, waived
        case notApplicable = "not applicable"
    }

    public var requirement: SnapshotRequirement
    public var state: State
    public var reasons: [String]
    public var missing: [String]
    public var evidence: [Int64]
    public var signatures: [Int64]
    public var daysOverdue: Int
}

/// The rules that decide whether a batch meets each requirement it carries.
public enum Compliance {
    /// Every requirement of `batch`, evaluated against its evidence on `today`.
    public static func evaluate(
        _ batch: Batch, items: [EvidenceFact], signatures: [SignatureFact], lots: [LotFact] = [], waivers: [Waiver], today: Day
    ) -> [RequirementCompliance] {
        let overdue = max(0, batch.manufactureDate.days(until: today))
        return batch.requirements.map { requirement in
            if let waiver = waivers.first(where: { $0.customer == requirement.customer && $0.requirementID == requirement.id }) {
                return RequirementCompliance(
                    requirement: requirement, state: .waived,
                    reasons: ["waived by \(waiver.waivedBy): \(waiver.reason) (customer approval \(waiver.approvalReference))"],
                    missing: [], evidence: [], signatures: [], daysOverdue: 0
                )
            }
            var outcome = RequirementCompliance(requirement: requirement, state: .satisfied, reasons: [], missing: [], evidence: [], signatures: [], daysOverdue: 0)
            var checked = 0
            for rule in requirement.rules {
                guard let result = Self.check(rule, batch: batch, items: items, signatures: signatures, lots: lots) else { continue }
                checked += 1
                outcome.reasons += result.reasons
                outcome.missing += result.missing
                outcome.evidence += result.evidence
                outcome.signatures += result.signatures
            }
            if checked == 0 {
                outcome.state = .notApplicable
                outcome.reasons = requirement.rules.isEmpty
                    ? ["it has no machine-checkable evidence rules"]
                    : ["its rules are not checked per batch (a periodic export is delivered by the reporting service)"]
            } else if !outcome.missing.isEmpty {
                outcome.state = .unsatisfied
                outcome.daysOverdue = overdue
            }
            return outcome
        }
    }

    /// Lots that block release whatever the requirements say: blocked at receipt without an
    /// approved exception, each named with its supplier and why.
    public static func blockedLots(_ lots: [LotFact]) -> [String] {
        lots.filter(\.isBlocked).map { lot in
            "lot \(lot.lot) from supplier \(lot.supplier) was blocked at receipt (\(lot.blockedReasons.joined(separator: "; "))) and has no approved exception"
        }
    }

    /// Mandatory requirements that block release.
    public static func blocking(_ results: [RequirementCompliance]) -> [RequirementCompliance] {
        results.filter { $0.state == .unsatisfied && $0.requirement.isMandatory }
    }

    /// Unmet preferred requirements: they only warn.
    public static func warnings(_ results: [RequirementCompliance]) -> [String] {
        results.filter { $0.state == .unsatisfied && !$0.requirement.isMandatory }.map { result in
            "\(result.requirement.label) (preferred) is not satisfied: \(result.missing.joined(separator: "; "))"
        }
    }

    /// The refusal of a release, in words: each unmet requirement with what is missing and
    /// days overdue, and each blocked lot.
    public static func refusal(batch: String, blocking: [RequirementCompliance], blockedLots: [String] = []) -> String {
        var lines = blocking.map { result in
            "\(result.requirement.label) \"\(result.requirement.title)\": missing \(result.missing.joined(separator: "; ")); \(result.daysOverdue) day(s) overdue"
        }
        lines += blockedLots
        var causes: [String] = []
        if !blocking.isEmpty { causes.append("\(blocking.count) mandatory requirement(s) unmet") }
        if !blockedLots.isEmpty { causes.append("\(blockedLots.count) blocked lot(s)") }
        return "batch \(batch) cannot be released: \(causes.joined(separator: " and ")):\n  " + lines.joined(separator: "\n  ")
    }

    private struct RuleResult {
        var reasons: [String] = []
        var missing: [String] = []
        var evidence: [Int64] = []
        var signatures: [Int64] = []
    }

    /// One rule against the evidence; nil for a rule not decided per batch.
    private static func check(_ rule: EvidenceRule, batch: Batch, items: [EvidenceFact], signatures: [SignatureFact], lots: [LotFact]) -> RuleResult? {
        var result = RuleResult()
        let valid = signatures.filter(\.isValid)
        switch rule {
        case .document(let type, let mediaTypes, let fields, let signerRole):
            let ofType = items.filter { $0.kind == .document && $0.type == type }
            let complete = ofType.filter { item in mediaTypes.contains(item.mediaType) && fields.allSatisfy { !(item.metadata[$0] ?? "").isEmpty } }
            let signed = complete.filter { item in
                guard let role = signerRole else { return true }
                return valid.contains { $0.target == "evidence:\(item.id)" && $0.rolesHeld.contains(role) }
            }
            if let item = signed.first {
                result.evidence.append(item.id)
                result.reasons.append("\(type) #\(item.id) is attached" + (signerRole.map { ", signed by someone holding role \($0)" } ?? ""))
                if signerRole != nil {
                    result.signatures += valid.filter { $0.target == "evidence:\(item.id)" }.map(\.id)
                }
            } else if let item = complete.first, let role = signerRole {
                result.missing.append("\(type) #\(item.id) is not signed by someone holding role \(role)")
            } else if ofType.isEmpty {
                result.missing.append("a \(type) (\(mediaTypes.joined(separator: " or ")))" + (fields.isEmpty ? "" : " with \(fields.joined(separator: ", "))"))
            } else {
                result.missing.append("a complete \(type): attached ones lack an accepted media type or \(fields.joined(separator: ", "))")
            }
        case .photos(let kind, let minimum, let certification):
            let photos = items.filter { $0.kind == .photo && $0.type == kind && (certification.map($0.uploaderCertifications.contains) ?? true) }
            let by = certification.map { " by someone holding \($0)" } ?? ""
            if photos.count >= minimum {
                result.evidence += photos.map(\.id)
                result.reasons.append("\(photos.count) \(kind) photo(s)\(by) attached; \(minimum) needed")
            } else {
                result.missing.append("\(minimum - photos.count) more \(kind) photo(s)\(by) (\(photos.count) of \(minimum))")
            }
        case .signature(let meaning, let role, let certification):
            let matching = valid.filter { signature in
                signature.target == "batch:\(batch.number)" && signature.meaning == meaning
                    && (role.map(signature.rolesHeld.contains) ?? true) && (certification.map(signature.certificationsHeld.contains) ?? true)
            }
            let who = [role.map { "role \($0)" }, certification.map { "certification \($0)" }].compactMap { $0 }.joined(separator: " and ")
            if let signature = matching.first {
                result.signatures.append(signature.id)
                result.reasons.append("signed (\(meaning.rawValue)) by \(signature.signer), who held \(who)")
            } else {
                result.missing.append("a signature (\(meaning.rawValue)) on the batch record by someone holding \(who)")
            }
        case .dualSignature(let meaning, let first, let second):
            let onRecord = valid.filter { $0.target == "batch:\(batch.number)" && $0.meaning == meaning }
            var pair: (SignatureFact, SignatureFact)?
            for a in onRecord where a.rolesHeld.contains(first) {
                if let b = onRecord.first(where: { $0.signer != a.signer && $0.rolesHeld.contains(second) }) {
                    pair = (a, b)
                    break
                }
            }
            if let (a, b) = pair {
                result.signatures += [a.id, b.id]
                result.reasons.append("signed (\(meaning.rawValue)) by \(a.signer) (\(first)) and \(b.signer) (\(second))")
            } else {
                result.missing.append("two signatures (\(meaning.rawValue)) on the batch record by different people, one holding role \(first), the other role \(second)")
            }
        case .approvedSupplier(let days):
            guard !lots.isEmpty else {
                result.reasons.append("the batch consumes no recorded material lots, so none can come from a supplier audited more than \(days) days before it was made")
                break
            }
            // A lot blocked at receipt stops release on its own (blockedLots); this rule is the
            // customer's audit age, measured from the batch's manufacture date.
            for lot in lots {
                guard let audit = lot.auditDates.filter({ $0 <= batch.manufactureDate }).max() else {
                    result.missing.append("lot \(lot.lot): supplier \(lot.supplier) had no passed audit before the batch was made")
                    continue
                }
                let age = audit.days(until: batch.manufactureDate)
                if age > days {
                    result.missing.append(
                        "lot \(lot.lot): supplier \(lot.supplier) was last audited on \(audit), \(age) days before the batch was made; at most \(days) are allowed"
                    )
                } else {
                    result.reasons.append("lot \(lot.lot): supplier \(lot.supplier) was audited \(age) days before the batch was made (at most \(days))"
                        + (lot.exceptionApproved ? "; received under an approved exception" : ""))
                }
            }
        case .serialization(let methods):
            let serials = batch.serials
            if serials.count < batch.quantity {
                result.missing.append("serial numbers for \(batch.quantity - serials.count) of \(batch.quantity) units ('conform batch serialize')")
            } else {
                result.reasons.append("all \(batch.quantity) units have serial numbers with QR links")
            }
            if methods.contains(.nfc) {
                let untagged = serials.filter { $0.nfcTag == nil }.count + max(0, batch.quantity - serials.count)
                if untagged > 0 {
                    result.missing.append("NFC tags for \(untagged) of \(batch.quantity) units")
                } else {
                    result.reasons.append("every unit has an NFC tag")
                }
            }
        case .recordFields(let fields):
            let absent = fields.filter { (batch.fields[$0.name] ?? "").isEmpty }.map(\.name)
            if absent.isEmpty {
                result.reasons.append("record fields \(fields.map(\.name).joined(separator: ", ")) are filled in")
            } else {
                result.missing.append("record field(s) \(absent.joined(separator: ", "))")
            }
        case .periodicExport:
            return nil
        case .part11Controls(let lock, let audit):
            let controls = [lock ? "the record locks when the batch is released or rejected" : nil, audit ? "every access to it is audited" : nil]
            result.reasons.append(controls.compactMap { $0 }.joined(separator: "; "))
        }
        return result
    }
}
