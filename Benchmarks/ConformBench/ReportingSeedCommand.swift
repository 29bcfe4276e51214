import ArgumentParser
import ConformStorage
import Foundation
import Logging
import PostgresNIO

/// Seeds the running system's reporting read model with a realistic volume of synthetic
/// history, for `conform-bench reporting` to measure reports and dashboards on.
struct ReportingSeedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reporting-seed",
        abstract: "Seed the reporting read model with synthetic history: by default 1M batches, 5M evidence items, 50 customers, two years.",
        discussion: """
            Writes straight into dev/start.sh's reporting schema, in PostgreSQL (generate_series), under \
            customers BENCH-01 … BENCH-NN and batch numbers BENCH-B-…, next to the demo data and never \
            touching it. Each batch carries three requirements of its customer (two mandatory, one \
            preferred) and its share of evidence items, the first of each batch signed. Batches of the \
            last 14 days are open, a third of them missing something; 1 in 100 older ones was rejected. \
            --remove deletes what an earlier seed wrote. Progress is printed per chunk.
            """
    )

    @Option(help: "Batches to create.") var batches = 1_000_000
    @Option(help: "Evidence items to create (spread evenly over the batches).") var items = 5_000_000
    @Option(help: "Customers to spread them over.") var customers = 50
    @Option(help: "Days of history, ending today.") var days = 730
    @Option(help: "Batches per transaction (progress is printed after each).") var chunk = 100_000
    @Flag(help: "Delete the synthetic data instead.") var remove = false
    @Option(help: "The folder dev/start.sh keeps its state in.") var state = ".conform"
    @Option(help: "The PostgreSQL port dev/start.sh uses.") var dbPort = Int(ProcessInfo.processInfo.environment["CONFORM_PG_PORT"] ?? "") ?? 7432

    func validate() throws {
        guard self.batches > 0, self.items >= 0, (1...99).contains(self.customers), self.days > 14, self.chunk > 0 else {
            throw ValidationError("--batches and --chunk must be positive, --customers 1 to 99, --days more than 14")
        }
        guard self.items / self.batches < 15 else {
            throw ValidationError("at most 14 evidence items per batch (--items / --batches)")
        }
    }

    func run() async throws {
        let passwordFile = (self.state as NSString).appendingPathComponent("secrets/reporting.password")
        guard let password = try? String(contentsOfFile: passwordFile, encoding: .utf8) else {
            throw ValidationError("cannot read \(passwordFile); start the system with dev/start.sh first")
        }
        var logger = Logger(label: "conform.bench.seed")
        logger.logLevel = .warning
        let database = Database(
            settings: DatabaseSettings(
                host: "127.0.0.1", port: self.dbPort, database: "conform", username: "conform_reporting",
                password: password.trimmingCharacters(in: .whitespacesAndNewlines), schema: "reporting",
                statementTimeout: .seconds(3_600), maximumConnections: 2, applicationName: "conform-bench-seed"
            ),
            logger: logger
        )
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await database.run() }
            defer { group.cancelAll() }
            if self.remove {
                try await self.removeSeed(database, logger: logger)
            } else {
                try await self.seed(database, logger: logger)
            }
        }
    }

    private func removeSeed(_ database: Database, logger: Logger) async throws {
        let started = ContinuousClock.now
        _ = try await database.transaction(logger: logger) { connection in
            // Synthetic ids all lie above `syntheticIDBase`, which keeps these deletes on the keys.
            try await connection.query("DELETE FROM signatures WHERE id >= \(Self.syntheticIDBase)", logger: logger)
            try await connection.query("DELETE FROM evidence_items WHERE id >= \(Self.syntheticIDBase)", logger: logger)
            try await connection.query("DELETE FROM batch_compliance WHERE batch LIKE 'BENCH-B-%'", logger: logger)
            try await connection.query("DELETE FROM batch_summaries WHERE number LIKE 'BENCH-B-%'", logger: logger)
        }
        print("Removed the synthetic data in \(Self.format(ContinuousClock.now - started)).")
    }

    private func seed(_ database: Database, logger: Logger) async throws {
        let idBase = Self.syntheticIDBase
        let itemsPerBatch = max(0, self.items / self.batches)
        let extraItems = self.items - itemsPerBatch * self.batches
        let started = ContinuousClock.now
        print("Seeding \(self.batches) batches, \(self.items) evidence items, \(self.customers) customers over \(self.days) days")
        var done = 0
        while done < self.batches {
            let first = done + 1
            let last = min(self.batches, done + self.chunk)
            let (customers, days) = (self.customers, self.days)
            _ = try await database.transaction(logger: logger) { connection in
                // One row per batch: customer round-robin, product from 200, a day spread over the
                // period, open in the last 14 days, 1 in 100 older ones rejected.
                try await connection.query(
                    """
                    INSERT INTO batch_summaries (number, customer, product, status, manufacture_date, updated_at_micros, evaluated_at_micros)
                    SELECT 'BENCH-B-' || lpad(i::text, 8, '0'),
                           'BENCH-' || lpad((i % \(customers) + 1)::text, 2, '0'),
                           'BP-' || lpad(((i / 7) % 200)::text, 3, '0'),
                           CASE WHEN (i * 7919) % \(days) < 14 THEN 'open' WHEN i % 100 = 0 THEN 'rejected' ELSE 'released' END,
                           current_date - ((i * 7919) % \(days))::int,
                           0, 1
                    FROM generate_series(\(first), \(last)) AS i
                    ON CONFLICT (number) DO NOTHING
                    """,
                    logger: logger
                )
                try await connection.query(
                    """
                    INSERT INTO batch_compliance (batch, customer, requirement_id, version, mandatory, state, missing, evaluated_at_micros)
                    SELECT 'BENCH-B-' || lpad(i::text, 8, '0'),
                           'BENCH-' || lpad((i % \(customers) + 1)::text, 2, '0'),
                           'CSR-BENCH-' || lpad((i % \(customers) + 1)::text, 2, '0') || '-' || r,
                           '1.0', r < 3,
                           CASE WHEN (i * 7919) % \(days) < 14 AND (i + r) % 3 = 0 THEN 'unsatisfied'
                                WHEN i % 100 = 0 AND r = 1 THEN 'unsatisfied'
                                WHEN i % 97 = 0 AND r = 3 THEN 'waived'
                                ELSE 'satisfied' END,
                           CASE WHEN ((i * 7919) % \(days) < 14 AND (i + r) % 3 = 0) OR (i % 100 = 0 AND r = 1)
                                THEN ARRAY['certificate-of-analysis signed by the supplier''s quality representative'] ELSE '{}'::text[] END,
                           0
                    FROM generate_series(\(first), \(last)) AS i, generate_series(1, 3) AS r
                    ON CONFLICT DO NOTHING
                    """,
                    logger: logger
                )
                // Evidence: `itemsPerBatch` per batch (the first few batches one more, to reach
                // the total exactly), each tagged with one of its batch's requirements.
                try await connection.query(
                    """
                    INSERT INTO evidence_items (id, batch, type, file_name, media_type, sha256, size, uploaded_by, uploaded_at_micros,
                                                concerns, requirement_ids, supersedes)
                    SELECT \(idBase) + i::bigint * 16 + k,
                           'BENCH-B-' || lpad(i::text, 8, '0'),
                           (ARRAY['certificate-of-analysis', 'ndt-photo', 'inspection-record', 'declaration-of-conformity', 'ndt-photo'])[k % 5 + 1],
                           'document-' || i || '-' || k || '.pdf', 'application/pdf',
                           md5(i::text || '/' || k) || md5(k::text || '/' || i),
                           100000 + (i * k) % 900000, 'operator',
                           extract(epoch FROM (current_date - ((i * 7919) % \(days))::int)::timestamp)::bigint * 1000000 + k,
                           ARRAY['BENCH-' || lpad((i % \(customers) + 1)::text, 2, '0') || '/CSR-BENCH-' || lpad((i % \(customers) + 1)::text, 2, '0') || '-' || (k % 3 + 1) || ' v1.0'],
                           ARRAY['CSR-BENCH-' || lpad((i % \(customers) + 1)::text, 2, '0') || '-' || (k % 3 + 1)],
                           0
                    FROM generate_series(\(first), \(last)) AS i,
                         LATERAL generate_series(0, \(itemsPerBatch) - 1 + CASE WHEN i <= \(extraItems) THEN 1 ELSE 0 END) AS k
                    ON CONFLICT (id) DO NOTHING
                    """,
                    logger: logger
                )
                try await connection.query(
                    """
                    INSERT INTO signatures (id, target, item, batch, signer, printed_name, meaning, signed_at_micros)
                    SELECT \(idBase) + i::bigint * 16, 'evidence:' || (\(idBase) + i::bigint * 16), \(idBase) + i::bigint * 16, NULL,
                           'quality-engineer', 'Q. Engineer', 'approved',
                           extract(epoch FROM (current_date - ((i * 7919) % \(days))::int)::timestamp)::bigint * 1000000 + 3600000000
                    FROM generate_series(\(first), \(last)) AS i
                    WHERE \(itemsPerBatch) > 0 OR i <= \(extraItems)
                    ON CONFLICT (id) DO NOTHING
                    """,
                    logger: logger
                )
            }
            done = last
            let elapsed = ContinuousClock.now - started
            print("  \(done) / \(self.batches) batches (\(done * 100 / self.batches) %) after \(Self.format(elapsed))")
        }
        print("Analyzing the tables …")
        _ = try await database.transaction(logger: logger) { connection in
            for table in ["batch_summaries", "batch_compliance", "evidence_items", "signatures"] {
                try await connection.query(PostgresQuery(unsafeSQL: "ANALYZE \(table)"), logger: logger)
            }
        }
        print("Seeded in \(Self.format(ContinuousClock.now - started)). Measure with: conform-bench reporting")
    }

    /// Synthetic evidence and signature ids start far above any the evidence service hands out.
    static let syntheticIDBase: Int64 = 1_000_000_000_000

    static func format(_ duration: Duration) -> String {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return String(format: "%.1f s", seconds)
    }
}
