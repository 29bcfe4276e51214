import ConformDomain
import ConformStorage
import Crypto
import Logging

/// Generates a customer's export for a period, from the read model: renders it in the
/// customer's layout, validates it before it may leave, and records it (a new revision and
/// delivery only when its content changed).
struct ExportRunner: Sendable {
    let database: Database

    func run(customer: String, name: String, period: ExportPeriod, by principal: String, logger: Logger) async throws -> (ExportRecord, unchanged: Bool) {
        let (definition, batches) = try await self.database.read(logger: logger) { connection in
            guard let (definition, _, _) = try await ExportStore.definition(customer: customer, name: name, on: connection, logger: logger) else {
                throw DomainError.notFound("customer \(customer) has no export named \(name); `conform export define` creates one")
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
        let sha256 = Hex.lowercase(SHA256.hash(data: content))
        return try await ExportStore.record(
            customer: customer, name: name, period: period, definitionVersion: definition.version, content: content, sha256: sha256,
            records: batches.count, by: principal, in: self.database, logger: logger
        )
    }
}
