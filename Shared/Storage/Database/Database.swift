public import Logging
public import PostgresNIO
import Synchronization
import Tracing

/// A service's connection pool to its own schema, with bounded waits: when PostgreSQL is
/// down a call fails as unavailable after the connect timeout instead of hanging.
///
/// The pool must be running (`run()`, or as a service in a `ServiceGroup`) for calls to work.
public final class Database: Sendable {
    public let client: PostgresClient
    public let settings: DatabaseSettings
    /// Signalled after each local commit of audit entries or events: wakes the sealer.
    public let commits = ChangeSignal()

    public init(settings: DatabaseSettings, logger: Logger) {
        self.settings = settings
        self.client = PostgresClient(configuration: settings.clientConfiguration, backgroundLogger: logger)
    }

    /// Runs the connection pool until cancelled.
    public func run() async {
        await self.client.run()
    }

    /// Runs `body` on a pooled connection. A connection-level failure (the database
    /// restarted under us) is retried once on a fresh connection: reads are safe to repeat.
    public func read<Result: Sendable>(
        logger: Logger,
        _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        try await self.traced("read") { try await self.retryingRead(logger: logger, body) }
    }

    private func retryingRead<Result: Sendable>(
        logger: Logger,
        _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        do {
            return try await self.withLeasedConnection(logger: logger, body)
        } catch let error as DatabaseError where error.kind == .unavailable {
            logger.debug("retrying a read on a fresh connection", metadata: ["error": "\(error)"])
            DatabaseTracing.retried()
            return try await self.withLeasedConnection(logger: logger, body)
        }
    }

    /// Runs `body` in a read-only transaction that sees one snapshot throughout: for reads of
    /// several statements that must agree with each other while writers go on. Retried once on
    /// a fresh connection like `read`, unless `retrying` is false (a body that has already sent
    /// part of its answer cannot run again).
    public func snapshot<Result: Sendable>(
        logger: Logger,
        retrying: Bool = true,
        _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        let run: @Sendable (PostgresConnection) async throws -> Result = { connection in
            try await connection.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: logger)
            do {
                let result = try await body(connection)
                try await connection.query("COMMIT", logger: logger)
                return result
            } catch {
                // The connection goes back to the pool: it must not stay inside this transaction.
                do {
                    try await connection.query("ROLLBACK", logger: logger)
                } catch let rollback {
                    logger.warning("rollback of a read snapshot failed", metadata: ["error": "\(rollback)"])
                }
                throw error
            }
        }
        return try await self.traced("snapshot") {
            retrying ? try await self.retryingRead(logger: logger, run) : try await self.withLeasedConnection(logger: logger, run)
        }
    }

    /// Runs `body` on a pooled connection outside any transaction: each statement commits on
    /// its own. Never retried: a statement that may have committed must not run twice.
    public func statement<Result: Sendable>(
        logger: Logger,
        _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        try await self.traced("statement") { try await self.withLeasedConnection(logger: logger, body) }
    }

    /// Runs `body` in a transaction: committed if it returns, rolled back if it throws.
    /// Never retried here: a client retries a write with its idempotency key. A commit wakes
    /// the sealer and other local waiters (`commits`), unless `signalling` is false (the
    /// sealer's own rounds, which would otherwise wake themselves).
    public func transaction<Result: Sendable>(
        logger: Logger,
        signalling: Bool = true,
        _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        let result = try await self.traced("transaction") { try await self.plainTransaction(logger: logger, body) }
        if signalling { self.commits.signal() }
        return result
    }

    private func plainTransaction<Result: Sendable>(
        logger: Logger,
        _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        try await self.withLeasedConnection(logger: logger) { connection in
            do {
                return try await connection.withTransaction(logger: logger) { connection in
                    try await body(connection)
                }
            } catch let error as PostgresTransactionError {
                // The rule that refused the write matters more than the rollback that followed it.
                if let failure = error.beginError ?? error.closureError ?? error.commitError {
                    if let rollback = error.rollbackError {
                        logger.warning("rollback failed after an error", metadata: ["error": "\(rollback)"])
                    }
                    throw failure
                }
                throw error
            }
        }
    }

    /// Leases a connection, failing as unavailable if none can be had within the connect
    /// timeout; PostgresNIO's pool would otherwise wait for the database indefinitely.
    private func withLeasedConnection<Result: Sendable>(
        logger: Logger,
        _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        let lease = LeaseState()
        let timeout = self.settings.connectTimeout
        let target = "\(self.settings.host):\(self.settings.port)"
        do {
            return try await withThrowingTaskGroup(of: Result?.self) { group in
                group.addTask {
                    try await self.client.withConnection { connection in
                        // Too late: the caller was already told the database is unavailable.
                        guard lease.claim() else { throw CancellationError() }
                        return try await body(connection)
                    }
                }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    if lease.expire() {
                        throw DatabaseError(
                            .unavailable,
                            "no database connection to \(target) within \(timeout); is PostgreSQL running?"
                        )
                    }
                    return nil
                }
                while let next = try await group.next() {
                    if let result = next {
                        group.cancelAll()
                        return result
                    }
                }
                throw CancellationError()
            }
        } catch let error as PSQLError {
            throw DatabaseError(classifying: error)
        }
    }
}

/// Whether a lease arrived before its deadline: exactly one of `claim` and `expire` wins, so
/// a body never runs after its caller was told the database is unavailable.
private final class LeaseState: Sendable {
    private static let waiting = 0, leased = 1, expired = 2
    private let value = Atomic<Int>(LeaseState.waiting)

    /// The connection arrived; true when in time.
    func claim() -> Bool {
        self.value.compareExchange(expected: Self.waiting, desired: Self.leased, ordering: .acquiringAndReleasing).exchanged
    }

    /// The deadline passed; true when no connection had arrived.
    func expire() -> Bool {
        self.value.compareExchange(expected: Self.waiting, desired: Self.expired, ordering: .acquiringAndReleasing).exchanged
    }
}
