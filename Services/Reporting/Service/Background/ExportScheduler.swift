import ConformDomain
import ConformStorage
import Logging
import ServiceLifecycle

/// Generates each monthly export once its month has ended. A period already exported is
/// left as it is (its content is regenerated only on demand), so the scheduler may look as
/// often as it likes.
struct ExportScheduler: Service {
    let database: Database
    let logger: Logger
    let interval: Duration

    func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                try await self.look(today: .today)
            } catch {
                if Task.isShuttingDownGracefully || Task.isCancelled { return }
                self.logger.warning("cannot run scheduled exports; trying again", metadata: ["error": "\(error)"])
            }
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: self.interval) }
            } catch {
                return
            }
        }
    }

    func look(today: Day) async throws {
        let period = ExportPeriod(containing: today).previous
        let logger = self.logger
        let monthly = try await self.database.read(logger: logger) { connection in
            try await ExportStore.definitions(customer: nil, on: connection, logger: logger).map(\.0).filter { $0.schedule == .monthly }
        }
        let done = Set(try await ExportStore.exports(customer: nil, in: self.database, logger: logger).filter { $0.period == period.description }
            .map { "\($0.customer)/\($0.name)" })
        for definition in monthly where !done.contains("\(definition.customer)/\(definition.name)") {
            // One customer's export failing (e.g. its validation) must not hold up the others'.
            do {
                let (export, _) = try await ExportRunner(database: self.database).run(
                    customer: definition.customer, name: definition.name, period: period, by: "scheduler", logger: logger
                )
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
