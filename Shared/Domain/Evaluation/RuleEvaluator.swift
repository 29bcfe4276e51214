public import Foundation

/// What one rule of a requirement decided for a batch: why it is met, what is missing, and
/// the evidence and signatures it counted.
public struct RuleResult: Sendable, Equatable {
    public var reasons: [String] = []
    public var missing: [String] = []
    public var evidence: [Int64] = []
    public var signatures: [Int64] = []

    public init() {}
}

/// The one place evidence rules are decided, readable without SQL or frames: the batch
/// service's compliance, the evidence service's admission of an item, the requirements an item
/// satisfies, and who a rule reserves a signature for all ask it, so they cannot disagree.
public enum RuleEvaluator {

    /// One rule against a batch record and its evidence; nil for a rule not decided per batch.
    public static func check(_ rule: EvidenceRule, record batch: RecordFacts, items: [EvidenceFact], signatures: [SignatureFact], lots: [LotFact]) -> RuleResult? {
        var result = RuleResult()
        let valid = signatures.filter(\.isValid)
        switch rule {
        case .document(let type, let mediaTypes, let fields, let signerRole):
            let ofType = items.filter { $0.kind == .document && $0.type == type }
            let complete = ofType.filter { Self.isComplete($0, mediaTypes: mediaTypes, fields: fields) }
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
            let photos = items.filter { Self.counts($0, asPhoto: kind, certification: certification) }
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
            if batch.serialized < batch.quantity {
                result.missing.append("serial numbers for \(batch.quantity - batch.serialized) of \(batch.quantity) units (AssignSerials)")
            } else {
                result.reasons.append("all \(batch.quantity) units have serial numbers with QR links")
            }
            if methods.contains(.nfc) {
                let untagged = batch.quantity - min(batch.nfcTagged, batch.quantity)
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

    // MARK: - Evidence items

    /// A document of a rule's type is complete when its media type is one the rule accepts and
    /// every field it needs is filled in.
    public static func isComplete(_ item: EvidenceFact, mediaTypes: [String], fields: [String]) -> Bool {
        mediaTypes.contains(item.mediaType) && fields.allSatisfy { !(item.metadata[$0] ?? "").isEmpty }
    }

    /// A photo counts for a photos rule when it is of the rule's kind and, where the rule
    /// names one, its uploader held the certification.
    public static func counts(_ item: EvidenceFact, asPhoto kind: String, certification: String?) -> Bool {
        item.kind == .photo && item.type == kind && (certification.map(item.uploaderCertifications.contains) ?? true)
    }

    /// Whether `item`, with the signatures on it, meets a rule that concerns items by itself:
    /// a document rule (complete, and signed by the rule's signer role if it names one) or a
    /// photos rule (a photo that counts; how many are needed is the batch's to decide). Nil
    /// when the rule does not concern this kind of item.
    public static func meets(_ item: EvidenceFact, _ rule: EvidenceRule, signatures: [SignatureFact]) -> Bool? {
        switch rule {
        case .document(let type, let mediaTypes, let fields, let signerRole):
            guard item.kind == .document, item.type == type else { return nil }
            guard Self.isComplete(item, mediaTypes: mediaTypes, fields: fields) else { return false }
            guard let role = signerRole else { return true }
            return signatures.contains { $0.isValid && $0.target == "evidence:\(item.id)" && $0.rolesHeld.contains(role) }
        case .photos(let kind, _, let certification):
            guard item.kind == .photo, item.type == kind else { return nil }
            return Self.counts(item, asPhoto: kind, certification: certification)
        default:
            return nil
        }
    }

    /// Whether `item` alone meets a rule about such items: as `meets`, and a photos rule
    /// needing more than one photo is never met by one.
    public static func meetsAlone(_ item: EvidenceFact, _ rule: EvidenceRule, signatures: [SignatureFact]) -> Bool? {
        guard let meets = Self.meets(item, rule, signatures: signatures) else { return nil }
        if case .photos(_, let minimum, _) = rule, minimum > 1 { return false }
        return meets
    }

    /// Why a document rule would not take `item` as uploaded (its media type, a missing
    /// field), naming the request field; nil when it would, or the rule is about other items.
    public static func refusal(of item: EvidenceFact, by rule: EvidenceRule, label: String) -> DomainError? {
        guard case .document(let type, let mediaTypes, let fields, _) = rule, item.kind == .document, item.type == type else { return nil }
        if !mediaTypes.contains(item.mediaType) {
            return .invalid(field: "media_type", reason: "is \(item.mediaType), but \(label) accepts a \(type) only as \(mediaTypes.joined(separator: " or "))")
        }
        let missing = fields.filter { (item.metadata[$0] ?? "").isEmpty }
        if let first = missing.first {
            return .invalid(field: "metadata.\(first)", reason: "is required: \(label) needs a \(type) with \(missing.joined(separator: ", "))")
        }
        return nil
    }

    // MARK: - Signatures

    /// Who a rule reserves a signature for, when it concerns a signature of `meaning` on a
    /// batch record (`documentType` nil) or on a document of `documentType`: the roles and
    /// certification it needs. Nil when it does not concern such a signature.
    public static func reservation(
        _ rule: EvidenceRule, meaning: SignatureMeaning, documentType: String?
    ) -> (roles: [String], certification: String?)? {
        switch rule {
        case .signature(let ruleMeaning, let role, let certification) where ruleMeaning == meaning && documentType == nil:
            return (role.map { [$0] } ?? [], certification)
        case .dualSignature(let ruleMeaning, let first, let second) where ruleMeaning == meaning && documentType == nil:
            return ([first, second], nil)
        case .document(let type, _, _, let signerRole?) where type == documentType:
            return ([signerRole], nil)
        default:
            return nil
        }
    }
}
