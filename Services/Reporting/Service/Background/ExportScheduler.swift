import ConformDomain
import ConformService
import ConformStorage
import Logging
import ServiceLifecycle

/// Generates each monthly export once its month has ended and the read model has evaluated
/// every batch of it (a file frozen with "not evaluated yet" would reach the customer). A
/// period already exported is left as it is (regenerated only on demand), so the scheduler
/// may look as often as it likes.
struct ExportScheduler: Service {
    let database: Database
    let logger: Logger
    let interval: Duration

    func run() async throws {
        await repeatEvery(self.interval, logger: self.logger, failure: "cannot run scheduled exports; trying again") {
            try await self.look(today: .today)
        }
    }

    func look(today: Day) async throws {
        let period = ExportPeriod(containing: today).previous
        let logger = self.logger
        let (monthly, done) = try await self.database.read(logger: logger) { connection in
            (
                try await ExportStore.definitions(customer: nil, on: connection, logger: logger).map(\.0).filter { $0.schedule == .monthly },
                try await ExportStore.exported(period: period, on: connection, logger: logger)
            )
        }
        for definition in monthly where !done.contains("\(definition.customer)/\(definition.name)") {
            // One customer's export failing (e.g. its validation) must not hold up the others'.
            do {
                let unsettled = try await self.database.read(logger: logger) { connection in
                    try await ExportStore.unsettled(customer: definition.customer, period: period, on: connection, logger: logger)
                }
                guard unsettled == 0 else {
                    logger.info(
                        "scheduled export waits for compliance to be read",
                        metadata: ["customer": "\(definition.customer)", "export": "\(definition.name)", "batches": "\(unsettled)"]
                    )
                    continue
                }
                let generated = try await ExportRunner(database: self.database).generate(
                    customer: definition.customer, name: definition.name, period: period, logger: logger
                )
                let context = CallContext.background(service: "reporting", task: "export-scheduler", logger: logger)
                let (export, _) = try await Writes(database: self.database).write(as: context) { transaction in
                    try await generated.record(in: transaction)
                }
                logger.notice("scheduled export generated", metadata: ["customer": "\(export.customer)", "export": "\(export.name)", "period": "\(export.period)"])
            } catch {
                logger.error(
                    "scheduled export failed; it is tried again at the next look",
                    metadata: ["customer": "\(definition.customer)", "export": "\(definition.name)", "period": "\(period)", "error": "\(error)"]
                )
            }
        }
    }
}
