public import ConformDomain
import Crypto
public import Foundation

/// Where a blocked lot's exception stands.
public enum ExceptionState: String, Sendable {
    case none, requested, approved
}

/// A lot received from a supplier and the gate's verdict on it.
public struct Receipt: Sendable, Equatable {
    public enum Verdict: String, Sendable {
        case accepted, blocked
    }

    public var lot: String
    public var supplier: String
    public var material: String
    public var quantity: String
    public var receivedOn: Day
    public var coaEvidence: Int64?
    public var verdict: Verdict
    /// Why, in words a receiving clerk understands.
    public var reasons: [String]
    public var receivedBy: String
    /// The supplier's last qualifying audit on or before the receipt.
    public var lastAudit: Day?
    public var exception: ExceptionState
    public var justification: String
    public var requestedBy: String
    public var approvedBy: String
    public var approvalManifest: String
    public var approvalSignature: Data
    /// The approval's id in the evidence service's signatures.
    public var approvalSignatureID: Int64?

    public init(
        lot: String, supplier: String, material: String, quantity: String, receivedOn: Day, coaEvidence: Int64?, verdict: Verdict,
        reasons: [String], receivedBy: String, lastAudit: Day?, exception: ExceptionState = .none, justification: String = "",
        requestedBy: String = "", approvedBy: String = "", approvalManifest: String = "", approvalSignature: Data = Data(), approvalSignatureID: Int64? = nil
    ) {
        self.lot = lot
        self.supplier = supplier
        self.material = material
        self.quantity = quantity
        self.receivedOn = receivedOn
        self.coaEvidence = coaEvidence
        self.verdict = verdict
        self.reasons = reasons
        self.receivedBy = receivedBy
        self.lastAudit = lastAudit
        self.exception = exception
        self.justification = justification
        self.requestedBy = requestedBy
        self.approvedBy = approvedBy
        self.approvalManifest = approvalManifest
        self.approvalSignature = approvalSignature
        self.approvalSignatureID = approvalSignatureID
    }

    /// The canonical text an exception approval signs, `conform-receipt/1`
    /// (docs/SIGNATURES.md): the receipt, its verdict and the written justification.
    public var canonicalText: String {
        [
            "conform-receipt/1",
            "lot: \(self.lot)",
            "supplier: \(self.supplier)",
            "material: \(self.material)",
            "quantity: \(self.quantity)",
            "received-on: \(self.receivedOn)",
            "verdict: \(self.verdict.rawValue)",
        ].map { $0 + "\n" }.joined() + self.reasons.map { "reason: \($0)\n" }.joined() + "justification: \(self.justification)\n"
    }

    /// "sha256:HEX" of `canonicalText`.
    public var digest: String {
        "sha256:" + Hex.lowercase(SHA256.hash(data: Data(self.canonicalText.utf8)))
    }
}

/// The receiving gate: is the supplier on the ASL, approved (or conditional) for this material
/// on the day of receipt, and audited recently enough?
public enum ReceivingGate {
    public static let defaultMaxAuditAgeDays = 365

    /// The verdict on a lot received on `day`, with every reason it is blocked.
    public static func verdict(
        supplier: String, material: String, on day: Day, entry: AslEntry?, audits: [SupplierAudit], maxAuditAgeDays: Int
    ) -> (verdict: Receipt.Verdict, reasons: [String], lastAudit: Day?) {
        let lastAudit = Self.lastQualifyingAudit(audits, onOrBefore: day)
        var reasons: [String] = []
        if let entry {
            if !entry.status.acceptsReceipts {
                reasons.append("Supplier \(supplier) is \(entry.status.rawValue) on the Approved Supplier List; its receipts are blocked")
            } else if !entry.covers(material) {
                reasons.append("Supplier \(supplier) is not on the Approved Supplier List for material \(material)")
            }
            if entry.validUntil < day {
                reasons.append("Supplier \(supplier)'s approval expired on \(entry.validUntil)")
            }
        } else {
            reasons.append("Supplier \(supplier) is not on the Approved Supplier List")
        }
        if let lastAudit {
            let age = lastAudit.days(until: day)
            if age > maxAuditAgeDays {
                reasons.append("Supplier \(supplier) was last audited on \(lastAudit), \(age) days before this receipt; the receiving policy allows at most \(maxAuditAgeDays) days")
            }
        } else {
            reasons.append("Supplier \(supplier) has no passed audit on record")
        }
        return (reasons.isEmpty ? .accepted : .blocked, reasons, lastAudit)
    }

    /// The latest passed audit on or before `day`.
    public static func lastQualifyingAudit(_ audits: [SupplierAudit], onOrBefore day: Day) -> Day? {
        audits.filter { $0.result.qualifies && $0.date <= day }.map(\.date).max()
    }
}

/// The rules of exceptions: a blocked lot may be used only with a written justification from
/// the requester and a quality manager's signed approval.
public enum ExceptionRules {
    /// Who approves an exception: the evidence service checks the signer holds it on the day.
    public static let approverRole = "quality-manager"

    public static func request(_ receipt: Receipt, justification: String, by requester: String) throws -> Receipt {
        guard receipt.verdict == .blocked else {
            throw DomainError.failedPrecondition("lot \(receipt.lot) was accepted at receipt; it needs no exception")
        }
        guard receipt.exception == .none else {
            throw DomainError.failedPrecondition("an exception for lot \(receipt.lot) is \(receipt.exception.rawValue) already")
        }
        let text = try FieldRules.optionalText(justification, field: "justification", maxLength: 5_000)
        guard text.count >= 20 else {
            throw DomainError.invalid(
                field: "justification",
                reason: "is required: say in writing why blocked lot \(receipt.lot) should be used (at least 20 characters)"
            )
        }
        var requested = receipt
        requested.exception = .requested
        requested.justification = text
        requested.requestedBy = requester
        return requested
    }

    /// Checks what a quality manager's signed approval says of the receipt: an exception is
    /// requested, the approval is the caller's own, on this lot, meaning approved, of the
    /// receipt as it is. Their key and role are the evidence service's to check as it signs.
    public static func checkApproval(_ receipt: Receipt, manifest: SignatureManifest, caller: String) throws {
        guard receipt.exception == .requested else {
            throw DomainError.failedPrecondition(
                receipt.exception == .approved
                    ? "the exception for lot \(receipt.lot) is approved already"
                    : "no exception is requested for lot \(receipt.lot); RequestException requests one with a justification"
            )
        }
        guard manifest.signer == caller else {
            throw DomainError.notEligible("the approval is signed by \(manifest.signer), but you are \(caller); approve with your own signature")
        }
        guard manifest.target == "lot:\(receipt.lot)", manifest.meaning == .approved else {
            throw DomainError.invalid(field: "manifest", reason: "an exception is approved by signing target lot:\(receipt.lot) with meaning approved")
        }
        guard manifest.digest == receipt.digest else {
            throw DomainError.failedPrecondition("the approval signs \(manifest.digest), but lot \(receipt.lot)'s exception is now \(receipt.digest); read it again and sign what it is")
        }
    }

    /// The receipt with its exception approved by `signature`.
    public static func approved(_ receipt: Receipt, manifest: String, signature: Data, signatureID: Int64, by caller: String) -> Receipt {
        var approved = receipt
        approved.exception = .approved
        approved.approvedBy = caller
        approved.approvalManifest = manifest
        approved.approvalSignature = signature
        approved.approvalSignatureID = signatureID
        return approved
    }
}

/// Audits coming due and approvals that have expired.
public enum DueList {
    public static func audits(_ audits: [SupplierAudit], within days: Int, today: Day) -> [(supplier: String, nextDue: Day, daysLeft: Int)] {
        let latest = Dictionary(grouping: audits, by: \.supplier).compactMap { supplier, list in
            list.max { ($0.date, $0.id) < ($1.date, $1.id) }.map { (supplier, $0.nextDue) }
        }
        return latest.map { ($0.0, $0.1, today.days(until: $0.1)) }
            .filter { $0.daysLeft <= days }
            .sorted { ($0.nextDue, $0.supplier) < ($1.nextDue, $1.supplier) }
    }

    public static func expired(_ entries: [AslEntry], today: Day) -> [AslEntry] {
        entries.filter { $0.validUntil < today && $0.status != .disqualified }.sorted { $0.supplier < $1.supplier }
    }
}
