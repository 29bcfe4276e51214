import Foundation
import ConformRuntime

/// pgbench, PostgreSQL's own load tool, sending the SQL of an audited read or write straight
/// to the database dev/start.sh's services use: what PostgreSQL alone gives on this machine,
/// to set beside what the same calls give through a service.
///
/// It runs as the cluster's administrator, marks everything it writes (principal `pgbench`,
/// customer codes `PGB-…`), and removes its customers and idempotency keys afterwards.
struct PGBench {
    /// The SQL of one kind of call.
    enum Script: String {
        case auditedRead = "audited-read"
        case auditedWrite = "audited-write"
    }

    /// What one pgbench run measured.
    struct Figures {
        var transactionsPerSecond: Double?
        var latencyAverageMillis: Double?
        /// Why the run failed or was incomplete (pgbench's own words), nil when it went well.
        var problem: String?
    }

    /// pgbench ready to run, or why it cannot.
    enum Setup {
        case ready(PGBench)
        case skipped(String)
    }

    let executable: String
    let host: String
    let port: Int
    let user: String
    let database: String
    private let password: String
    /// The scripts, and pgbench's output while it runs.
    private let directory: URL

    /// Finds pgbench and the administrator's credentials for the cluster in `<state>/postgres`
    /// (as `dev/postgres.sh env` would print them), and writes the scripts to a temporary folder.
    static func setUp(state: String, port explicitPort: Int?) -> Setup {
        guard let executable = Self.findExecutable() else {
            return .skipped(
                "no pgbench at /usr/lib/postgresql/15/bin/pgbench nor on PATH; it comes with Debian's postgresql-contrib "
                    + "(apt-get install postgresql-contrib), or pass --no-pgbench"
            )
        }
        let environment = ProcessInfo.processInfo.environment
        let cluster = (state as NSString).appendingPathComponent("postgres")
        // dev/postgres.sh records the cluster's port in a file anyone may read.
        let recordedPort = (try? String(contentsOfFile: (cluster as NSString).appendingPathComponent("port"), encoding: .utf8))
            .flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        guard let port = explicitPort ?? recordedPort ?? environment["CONFORM_PG_PORT"].flatMap({ Int($0) }) else {
            return .skipped("no PostgreSQL cluster in \(cluster) (no port file); dev/start.sh makes it, or name its folder with --state")
        }
        let passwordFile = (cluster as NSString).appendingPathComponent("admin-password")
        // The file is readable by whoever ran dev/start.sh only; the environment variable is
        // what `eval "$(dev/postgres.sh env DIR)"` sets for everyone else.
        guard let password = environment["CONFORM_PG_ADMIN_PASSWORD"]
            ?? (try? String(contentsOfFile: passwordFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        else {
            return .skipped(
                "cannot read the administrator's password in \(passwordFile) (it is readable by the user who ran dev/start.sh only); "
                    + "run as that user, or set CONFORM_PG_ADMIN_PASSWORD (eval \"$(dev/postgres.sh env \(cluster))\")"
            )
        }
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("conform-bench-pgbench-\(UUID().uuidString.lowercased().prefix(8))")
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            for (name, text) in [("audited-read", Self.auditedRead), ("audited-write", Self.auditedWrite), ("cleanup", Self.cleanup)] {
                try Data(text.utf8).write(to: directory.appendingPathComponent("\(name).sql"))
            }
        } catch {
            return .skipped("cannot write its scripts to \(directory.path): \(error)")
        }
        return .ready(
            PGBench(
                executable: executable, host: environment["CONFORM_PG_HOST"] ?? "127.0.0.1", port: port,
                user: environment["CONFORM_PG_ADMIN_USER"] ?? "conform_admin", database: "conform", password: password,
                directory: directory
            )
        )
    }

    /// Runs `script` from `clients` connections for `seconds`, each sending its next
    /// transaction as soon as the last one ends (pgbench's default: no rate limit).
    func run(_ script: Script, clients: Int, seconds: Int) async -> Figures {
        let arguments = [
            // -n: no vacuum of pgbench's own tables, which this database does not have.
            // -M extended: PostgresNIO sends every statement as parse, bind, execute; so does this.
            "-n", "-M", "extended",
            "-c", "\(clients)", "-j", "\(min(clients, 2))", "-T", "\(seconds)",
            "-f", self.directory.appendingPathComponent("\(script.rawValue).sql").path,
        ]
        let result: (status: Int32, output: String, errors: String)
        do {
            result = try await self.pgbench(arguments, log: "\(script.rawValue)-\(clients)")
        } catch {
            return Figures(problem: "pgbench did not start: \(error)")
        }
        var figures = Figures()
        for line in result.output.split(separator: "\n") {
            // PostgreSQL 14 and later print one tps line; older ones two, the last without connecting.
            if line.hasPrefix("tps = ") { figures.transactionsPerSecond = Self.leadingNumber(line.dropFirst("tps = ".count)) }
            if line.hasPrefix("latency average = ") { figures.latencyAverageMillis = Self.leadingNumber(line.dropFirst("latency average = ".count)) }
        }
        if result.status != 0 || figures.transactionsPerSecond == nil {
            figures.problem = "pgbench exited with status \(result.status): " + Self.firstError(in: result.errors.isEmpty ? result.output : result.errors)
        }
        return figures
    }

    /// Deletes the customers and idempotency keys the runs made. Their audit entries and
    /// events stay: the audit trail is append-only (a trigger refuses deletes, even the
    /// administrator's), and the feed's events may already have been read by the reporting
    /// service. Both are marked (principal `pgbench`, subject `customer:PGB-…`).
    ///
    /// - Returns: what went wrong, or nil.
    func removeRows() async -> String? {
        let arguments = ["-n", "-M", "extended", "-c", "1", "-t", "1", "-f", self.directory.appendingPathComponent("cleanup.sql").path]
        do {
            let result = try await self.pgbench(arguments, log: "cleanup")
            return result.status == 0 ? nil : Self.firstError(in: result.errors.isEmpty ? result.output : result.errors)
        } catch {
            return "pgbench did not start: \(error)"
        }
    }

    /// Deletes the scripts and pgbench's output.
    func removeDirectory() {
        try? FileManager.default.removeItem(at: self.directory)
    }

    // MARK: - The scripts

    // A call's SQL as the service sends it: a read's entry is one autocommit INSERT after the
    // read (the service gathers concurrent calls' entries into one INSERT; pgbench sends one
    // per call, the most the database is asked for); a write is one transaction whose last
    // statement inserts its audit entries (its change and its call) and its event and stores
    // its answer under its key. pgbench replaces `:name` with a variable, so no text here may
    // put a letter right after a colon except where a variable is meant.

    private static let getCustomer = "conform.requirement.v1.RequirementService/GetCustomer"
    private static let createCustomer = "conform.requirement.v1.RequirementService/CreateCustomer"
    /// Microseconds since the epoch, as the service stamps its rows.
    private static let now = "(extract(epoch FROM clock_timestamp()) * 1000000)::bigint"
    /// This transaction's customer code: PGB-<client>-<random>, at most 26 characters.
    private static let code = "('PGB-' || :client_id || '-' || :r)"
    /// This transaction's request id and idempotency key.
    private static let requestID = "('pgbench-' || :client_id || '-' || :r)"
    /// The customer as the write's audit entry and event carry it.
    private static let customerJSON = """
        '{"code":"' || \(code) || '","createdBy":"pgbench","industry":"INDUSTRY_OTHER","name":"pgbench customer"}'
        """

    /// GetCustomer: the customer (CustomerStore.find), then the call's entry.
    static let auditedRead = """
        \\set r random(1, 999999999999999999)
        SELECT code, name, industry, contacts, notes, created_at_micros, created_by FROM requirement.customers WHERE code = 'A';
        INSERT INTO requirement.audit_trail (recorded_at_micros, principal, action, outcome, object, detail, request_id)
        VALUES (\(now), 'pgbench', '\(getCustomer)', 'succeeded', '', '{}', \(requestID))
        RETURNING entry_id;

        """

    /// CreateCustomer with an idempotency key: one transaction that claims the key, inserts
    /// the customer, then its audit entries, its event and its answer in one statement
    /// (Writes.write, CustomerStore.insert, WriteRecords.insert).
    static let auditedWrite = """
        \\set r random(1, 999999999999999999)
        BEGIN;
        INSERT INTO requirement.idempotency_keys (principal, key, method, request_sha256)
        VALUES ('pgbench', \(requestID), '\(createCustomer)', sha256(convert_to(\(code), 'UTF8')))
        ON CONFLICT (principal, key) DO NOTHING
        RETURNING key;
        INSERT INTO requirement.customers (code, name, industry, contacts, notes, created_at_micros, created_by)
        VALUES (\(code), 'pgbench customer', 'other', '[]', '', \(now), 'pgbench');
        WITH entries AS (
            INSERT INTO requirement.audit_trail (recorded_at_micros, principal, action, outcome, object, detail, request_id)
            VALUES (\(now), 'pgbench', '\(createCustomer)', 'write', 'customer:' || \(code), '{"after":' || \(customerJSON) || '}', \(requestID)),
                   (\(now), 'pgbench', '\(createCustomer)', 'succeeded', 'customer:' || \(code), '{}', \(requestID))
            RETURNING entry_id),
        events AS (
            INSERT INTO requirement.outbox (type, subject, payload, occurred_at_micros)
            VALUES ('customer.created', 'customer:' || \(code), \(customerJSON), \(now))),
        answer AS (
            UPDATE requirement.idempotency_keys SET response = convert_to(\(code), 'UTF8')
            WHERE principal = 'pgbench' AND key = \(requestID))
        SELECT entry_id FROM entries;
        COMMIT;

        """

    /// What `removeRows` runs once: only rows the scripts made (audit entries cannot be deleted).
    static let cleanup = """
        DELETE FROM requirement.idempotency_keys WHERE principal = 'pgbench';
        DELETE FROM requirement.customers WHERE created_by = 'pgbench' AND code LIKE 'PGB-%';

        """

    // MARK: - Running pgbench

    /// Runs pgbench against the database as the administrator; its output goes to files
    /// (a full pipe would stall it), read once it has exited.
    private func pgbench(_ arguments: [String], log name: String) async throws -> (status: Int32, output: String, errors: String) {
        let outputFile = self.directory.appendingPathComponent("\(name).out")
        let errorFile = self.directory.appendingPathComponent("\(name).err")
        // None of the caller's libpq settings (PGHOST, PGSSLMODE, …) may redirect it; the
        // password goes by environment, never on the command line where `ps` shows it.
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PG") }
        environment["PGPASSWORD"] = self.password
        environment["PGCONNECT_TIMEOUT"] = "10"
        let ending = try await ChildProcess.run(
            self.executable,
            arguments: ["-h", self.host, "-p", "\(self.port)", "-U", self.user] + arguments + [self.database],
            environment: environment,
            output: outputFile.path,
            errors: errorFile.path
        )
        let status: Int32
        switch ending {
        case .exited(let code): status = code
        case .signalled(let signal): status = 128 + signal
        }
        return (
            status,
            (try? String(contentsOf: outputFile, encoding: .utf8)) ?? "",
            (try? String(contentsOf: errorFile, encoding: .utf8)) ?? ""
        )
    }

    private static func findExecutable() -> String? {
        let debian = "/usr/lib/postgresql/15/bin/pgbench"
        if FileManager.default.isExecutableFile(atPath: debian) { return debian }
        for folder in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let path = (String(folder) as NSString).appendingPathComponent("pgbench")
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    private static func leadingNumber(_ text: Substring) -> Double? {
        Double(text.prefix { $0.isNumber || $0 == "." })
    }

    /// The line of pgbench's output that says what went wrong.
    private static func firstError(in text: String) -> String {
        let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return lines.first { $0.contains("error") || $0.contains("ERROR") || $0.contains("FATAL") } ?? lines.last ?? "no output"
    }
}
