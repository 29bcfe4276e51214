public import Logging
public import ConformStorage
import PostgresNIO
public import ServiceLifecycle

/// Listens, on one connection of its own, for the sealer's notification that a schema's
/// feed has new positions, and passes it on to every local waiter (feed subscriptions, the
/// alert watch). After a lost connection it signals once on reconnecting, so waiters look
/// again for anything sent while it was away.
public struct FeedListener: Service {
    public let database: Database
    public let signal: ChangeSignal
    public let logger: Logger

    public init(database: Database, signal: ChangeSignal, logger: Logger) {
        self.database = database
        self.signal = signal
        self.logger = logger
    }

    public func run() async throws {
        let channel = FeedSignal.channel(schema: self.database.settings.schema)
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                try await cancelWhenGracefulShutdown {
                    try await self.database.client.withConnection { connection in
                        try await connection.listen(on: channel) { notifications in
                            self.signal.signal()
                            for try await _ in notifications { self.signal.signal() }
                        }
                    }
                }
            } catch {
                if Task.isShuttingDownGracefully || Task.isCancelled { return }
                self.logger.warning("cannot listen for feed changes; waiters fall back to polling until it listens again", metadata: ["error": "\(error)"])
            }
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(1)) }
            } catch {
                return
            }
        }
    }
}
