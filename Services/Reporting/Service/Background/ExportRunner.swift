import ConformDomain
import ConformService
import ConformStorage
import Crypto
import Logging

/// Generates a customer's export for a period, from the read model: renders it in the
/// customer's layout, validates it before it may leave, and records it (a new revision and
/// delivery only when its content changed).
struct ExportRunner: Sendable {
    let database: Database

    /// A period's export, rendered and validated, not recorded yet.
    struct Generated: Sendable {
        var customer: String
        var name: String
        var period: ExportPeriod
        var definitionVersion: Int
        var content: [UInt8]
        var sha256: String
        var records: Int

        /// Records it through `transaction`, the one write path.
        func record(in transaction: WriteTransaction) async throws -> (ExportRecord, unchanged: Bool) {
            try await ExportStore.record(
                customer: self.customer, name: self.name, period: self.period, definitionVersion: self.definitionVersion,
                content: self.content, sha256: self.sha256, records: self.records, in: transaction
            )
        }
    }

    /// Renders and validates the export; reads only.
    func generate(customer: String, name: String, period: ExportPeriod, logger: Logger) async throws -> Generated {
        let (definition, batches) = try await self.database.read(logger: logger) { connection in
            guard let (definition, _, _) = try await ExportStore.definition(customer: customer, name: name, on: connection, logger: logger) else {
                throw DomainError.notFound("customer \(customer) has no export named \(name); DefineExport creates one")
            }
            return (definition, try await ExportStore.batches(customer: customer, period: period, on: connection, logger: logger))
        }
        let document = ExportXML.render(definition, period: period, batches: batches)
        do {
            try ExportXML.validate(document, against: definition, period: period, expectedRecords: batches.count)
        } catch {
            logger.error("an export failed its own validation and was not queued", metadata: ["customer": "\(customer)", "export": "\(name)", "error": "\(error)"])
            throw DomainError.failedPrecondition("the \(period) export of \(customer)/\(name) failed validation and was not queued: \(error)")
        }
        let content = Array(document.utf8)
        return Generated(
            customer: customer, name: name, period: period, definitionVersion: definition.version, content: content,
            sha256: Hex.lowercase(SHA256.hash(data: content)), records: batches.count
        )
    }
}
