public import ConformStorage
public import Logging
public import ServiceLifecycle

/// Runs `work` on one replica at a time: the one that holds `lease`. The holder renews the
/// lease while the work runs and stops the work at once if it ever finds the lease gone
/// (paused too long, the database away); the others wait and take over when it expires.
/// A replica that drains hands the lease over at once.
public struct LeasedService: Service {
    public let lease: WorkLease
    public let database: Database
    public let work: any Service
    public let logger: Logger

    public init(lease: WorkLease, database: Database, work: any Service, logger: Logger) {
        self.lease = lease
        self.database = database
        self.work = work
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            var held = false
            do {
                held = try await abandoning(after: SealerService.callLimit, "claiming \(self.lease.name)") {
                    try await self.lease.claim(in: self.database, logger: self.logger)
                }
            } catch {
                self.logger.warning("cannot claim background work", metadata: ["lease": "\(self.lease.name)", "error": "\(error)"])
            }
            if held {
                self.logger.info("holding background work", metadata: ["lease": "\(self.lease.name)"])
                await self.runWhileHeld()
                continue
            }
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: self.lease.duration / 2) }
            } catch {
                return
            }
        }
    }

    /// The work beside a renewer; whichever ends first ends both.
    private func runWhileHeld() async {
        let lost = await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                do {
                    try await self.work.run()
                } catch {
                    self.logger.warning("background work failed; it starts again", metadata: ["lease": "\(self.lease.name)", "error": "\(error)"])
                }
                return false
            }
            group.addTask {
                while true {
                    do {
                        try await Task.sleep(for: self.lease.duration / 5)
                        if Task.isShuttingDownGracefully { return false }
                        // Given up well before the lease expires: the work must stop before another replica may start it.
                        let held = try await abandoning(after: self.lease.duration / 2, "renewing \(self.lease.name)") {
                            try await self.lease.claim(in: self.database, logger: self.logger)
                        }
                        guard held else { return true }
                    } catch is CancellationError {
                        return false
                    } catch {
                        // Unrenewed, it may pass to another replica any moment: stop before it does.
                        self.logger.warning("cannot renew the lease of background work; stopping it", metadata: ["lease": "\(self.lease.name)", "error": "\(error)"])
                        return true
                    }
                }
            }
            defer { group.cancelAll() }
            return await group.next() ?? false
        }
        if lost {
            self.logger.warning("gave up background work; whichever replica holds its lease does it", metadata: ["lease": "\(self.lease.name)"])
        } else if Task.isShuttingDownGracefully {
            do {
                try await abandoning(after: SealerService.callLimit, "handing over \(self.lease.name)") {
                    try await self.lease.release(in: self.database, logger: self.logger)
                }
            } catch {
                self.logger.notice("could not hand over background work; it moves when its lease expires", metadata: ["lease": "\(self.lease.name)", "error": "\(error)"])
            }
        }
    }
}
