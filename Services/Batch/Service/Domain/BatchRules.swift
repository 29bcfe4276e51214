public import ConformDomain
import Crypto
import Foundation

/// The rules of batches and their records, readable without SQL or frames.
public enum BatchRules {
    public static let maxQuantity = 1_000_000
    /// Units serialized at once: serial numbers are made for a whole batch.
    public static let maxSerializedQuantity = 100_000

    /// A new batch, checked field by field. A batch without a destination customer is refused:
    /// its requirements are that customer's.
    public static func newBatch(
        number: String, product: String, customer: String, orderReference: String, manufactureDate: String, quantity: Int
    ) throws -> (number: String, product: String, customer: String, order: String, date: Day, quantity: Int) {
        guard !customer.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw DomainError.invalid(
                field: "customer",
                reason: "is required: which customer is this batch for? Its requirements are that customer's, so name the destination customer"
            )
        }
        guard (1...Self.maxQuantity).contains(quantity) else {
            throw DomainError.invalid(field: "quantity", reason: "is \(quantity); a batch holds 1 to \(Self.maxQuantity) units")
        }
        return (
            try FieldRules.code(number, field: "number", maxLength: 64),
            try FieldRules.code(product, field: "product", maxLength: 64),
            try FieldRules.code(customer, field: "customer", maxLength: 32),
            try FieldRules.optionalText(orderReference, field: "order_reference", maxLength: 200),
            try Day.parse(manufactureDate, field: "manufacture_date"),
            quantity
        )
    }

    /// Refuses a batch whose order is for another customer or product, or too small.
    public static func check(order: Order, customer: String, product: String, quantity: Int) throws {
        guard order.customer == customer, order.product == product else {
            throw DomainError.failedPrecondition(
                "order \(order.reference) is customer \(order.customer)'s for product \(order.product), not \(customer)'s for \(product)"
            )
        }
        guard quantity <= order.quantity else {
            throw DomainError.failedPrecondition("order \(order.reference) is for \(order.quantity) units; a batch of \(quantity) exceeds it")
        }
    }

    /// Refuses any change to a completed record: corrections go through an amendment.
    public static func checkOpen(_ batch: Batch) throws {
        guard !batch.isComplete else {
            throw DomainError.failedPrecondition(
                "batch \(batch.number) is \(batch.status.rawValue) and its record is read-only; correct it with Amend (a quality manager's recorded and signed amendment)"
            )
        }
    }

    /// Refuses any change while a release is in flight: its decision rests on the record as it is.
    public static func checkNoRelease(inFlight release: Int64?, batch: String) throws {
        if let release {
            throw DomainError.failedPrecondition(
                "batch \(batch) is being released (release \(release)); it changes no more until that release is completed or abandoned"
            )
        }
    }

    /// Record field values checked against the types the batch's requirements give them.
    public static func fieldValues(_ values: [String: String], for batch: Batch) throws -> [String: String] {
        guard !values.isEmpty else {
            throw DomainError.invalid(field: "values", reason: "is empty; give at least one NAME=VALUE")
        }
        let required = batch.requiredFields
        var checked: [String: String] = [:]
        for (name, value) in values.sorted(by: { $0.key < $1.key }) {
            guard let type = required[name] else {
                let known = required.keys.sorted()
                throw DomainError.invalid(
                    field: "values.\(name)",
                    reason: "is not a field batch \(batch.number)'s requirements ask for; "
                        + (known.isEmpty ? "they ask for none" : "they ask for \(known.joined(separator: ", "))")
                )
            }
            let text = try FieldRules.text(value, field: "values.\(name)", maxLength: 2_000)
            switch type {
            case .text:
                break
            case .number:
                guard Double(text) != nil else {
                    throw DomainError.invalid(field: "values.\(name)", reason: "'\(text)' is not a number")
                }
            case .date:
                _ = try Day.parse(text, field: "values.\(name)")
            }
            checked[name] = text
        }
        return checked
    }

    /// Serial numbers for every unit, each with a QR payload under `traceBaseURL`.
    public static func serials(for batch: Batch, traceBaseURL: String) throws -> [Serial] {
        guard batch.serials.isEmpty else {
            throw DomainError.failedPrecondition("batch \(batch.number) has its \(batch.serials.count) serial numbers already")
        }
        guard !batch.serializationMethods.isEmpty else {
            throw DomainError.failedPrecondition("no requirement of batch \(batch.number) asks for serialization")
        }
        guard batch.quantity <= Self.maxSerializedQuantity else {
            throw DomainError.failedPrecondition("batch \(batch.number) has \(batch.quantity) units; at most \(Self.maxSerializedQuantity) are serialized at once")
        }
        let base = traceBaseURL.hasSuffix("/") ? traceBaseURL : traceBaseURL + "/"
        return (1...batch.quantity).map { unit in
            let serial = "\(batch.number)-\(String(format: "%05d", unit))"
            return Serial(serial: serial, qrPayload: base + serial, nfcTag: nil)
        }
    }

    /// NFC tag UIDs (hex, 4 to 10 bytes) for serials of the batch.
    public static func nfcTags(_ tags: [String: String], for batch: Batch) throws -> [String: String] {
        guard !tags.isEmpty else { throw DomainError.invalid(field: "tags", reason: "is empty; give SERIAL=UID pairs") }
        let serials = Set(batch.serials.map(\.serial))
        var checked: [String: String] = [:]
        for (serial, uid) in tags {
            guard serials.contains(serial) else {
                throw DomainError.invalid(field: "tags.\(serial)", reason: "is not a serial of batch \(batch.number)")
            }
            let hex = uid.uppercased().replacingOccurrences(of: ":", with: "")
            guard (8...20).contains(hex.count), hex.count.isMultiple(of: 2), hex.allSatisfy(\.isHexDigit) else {
                throw DomainError.invalid(field: "tags.\(serial)", reason: "'\(uid)' is not an NFC UID: 4 to 10 bytes in hex, e.g. 04A224B2C35E80")
            }
            checked[serial] = hex
        }
        return checked
    }

    /// The canonical text of the record a signature binds: identity, fields and serials.
    public static func recordText(_ batch: Batch) -> String {
        var lines = [
            "conform-batch-record/1",
            "number: \(batch.number)",
            "product: \(batch.product)",
            "customer: \(batch.customer)",
            "order: \(batch.orderReference)",
            "manufacture-date: \(batch.manufactureDate)",
            "quantity: \(batch.quantity)",
        ]
        lines += batch.fields.sorted { $0.key < $1.key }.map { "field \($0.key): \($0.value)" }
        lines += batch.serials.sorted { $0.serial < $1.serial }.map { "serial \($0.serial): \($0.qrPayload) \($0.nfcTag ?? "-")" }
        lines += batch.lots.sorted().map { "lot: \($0)" }
        return lines.map { $0 + "\n" }.joined()
    }

    /// "sha256:HEX" of the record's canonical text.
    public static func recordDigest(_ batch: Batch) -> String {
        "sha256:" + Hex.lowercase(SHA256.hash(data: Data(Self.recordText(batch).utf8)))
    }

    /// Lots to add to what a batch consumes; each must have been received.
    public static func lots(_ lots: [String], for batch: Batch, received: Set<String>) throws -> [String] {
        guard !lots.isEmpty else { throw DomainError.invalid(field: "lots", reason: "is empty; name the lots the batch consumes") }
        var new: [String] = []
        for (index, text) in lots.enumerated() {
            let lot = try FieldRules.code(text, field: "lots[\(index)]", maxLength: 64)
            guard received.contains(lot) else {
                throw DomainError.notFound("lot \(lot) was never received; record its receipt first (the supplier service's RecordReceipt)")
            }
            if !batch.lots.contains(lot), !new.contains(lot) { new.append(lot) }
        }
        return new
    }

    /// Refuses archiving or deleting a batch under legal hold.
    public static func checkNotHeld(_ batch: Batch, action: String) throws {
        if let reason = batch.legalHold {
            throw DomainError.failedPrecondition("batch \(batch.number) is under legal hold (\(reason)); it cannot be \(action) until the hold is lifted")
        }
    }
}
