import ConformDomain
import ConformProtos
import ConformService
import ConformStorage
import Logging
import Metrics
import PostgresNIO

/// Alerts and the alert policy in the reporting schema.
enum AlertStore {
    private static let columns = """
        id, kind, subject, customer, requirement_id, mandatory, detail, level, due_on::text, raised_at_micros, escalated_at_micros,
        acknowledged_by, acknowledged_at_micros, acknowledgement_note, resolved_at_micros, resolution, revision
        """

    /// Records a change of an alert through the write it is part of: its audit entry (before
    /// and after) and an `alert.changed` event in the reporting feed. A watch (on any replica)
    /// learns of it when the sealer positions the event; it reads the alerts themselves in
    /// commit order (`changes`), so no lock orders alert changes.
    private static func changed(from before: Alert?, to after: Alert, today: Day, in transaction: WriteTransaction) async throws {
        try await transaction.recordChange(
            object: "alert:\(after.id)", before: before?.message(today: today), after: after.message(today: today), event: "alert.changed"
        )
    }

    /// Makes the open alerts of `kinds` about `subject` (every subject when nil) exactly
    /// `desired`: raises the new ones, resolves those no longer desired with `resolution`,
    /// and updates what changed in the others, each change recorded by `transaction`.
    static func reconcile(
        kinds: [AlertKind], subject: String?, desired: [AlertDraft], resolution: @Sendable (AlertKey) -> String,
        policy: AlertPolicy, today: Day, in transaction: WriteTransaction
    ) async throws {
        let connection = transaction.connection
        let logger = transaction.logger
        let open = try await Self.open(kinds: kinds, subject: subject, on: connection, logger: logger)
        let openByKey = Dictionary(open.map { ($0.draft.key, $0) }, uniquingKeysWith: { first, _ in first })
        let desiredKeys = Set(desired.map(\.key))
        let now = Timestamps.nowMicros()
        for alert in open where !desiredKeys.contains(alert.draft.key) {
            let rows = try await connection.query(
                """
                UPDATE alerts SET resolved_at_micros = \(now), resolution = \(resolution(alert.draft.key)), revision = nextval('alert_revisions')
                WHERE id = \(alert.id) AND resolved_at_micros = 0 RETURNING \(unescaped: Self.columns)
                """,
                logger: logger
            )
            for resolved in try await Self.decode(rows) { try await Self.changed(from: alert, to: resolved, today: today, in: transaction) }
        }
        for draft in desired {
            if let known = openByKey[draft.key] {
                guard known.draft != draft else { continue }
                let rows = try await connection.query(
                    """
                    UPDATE alerts SET detail = \(draft.detail), mandatory = \(draft.isMandatory), due_on = \(draft.dueOn.description)::date,
                        revision = nextval('alert_revisions')
                    WHERE id = \(known.id) RETURNING \(unescaped: Self.columns)
                    """,
                    logger: logger
                )
                for updated in try await Self.decode(rows) { try await Self.changed(from: known, to: updated, today: today, in: transaction) }
                continue
            }
            let level = AlertRules.level(dueOn: draft.dueOn, today: today, policy: policy)
            let inserted = try await connection.query(
                """
                INSERT INTO alerts (kind, subject, customer, requirement_id, mandatory, detail, level, due_on, raised_at_micros, escalated_at_micros)
                VALUES (\(draft.key.kind.rawValue), \(draft.key.subject), \(draft.customer), \(draft.key.requirementID), \(draft.isMandatory),
                        \(draft.detail), \(level.rawValue), \(draft.dueOn.description)::date, \(now), \(level == .management ? now : 0))
                ON CONFLICT (kind, subject, customer, requirement_id) WHERE resolved_at_micros = 0 DO NOTHING
                RETURNING \(unescaped: Self.columns)
                """,
                logger: logger
            )
            for raised in try await Self.decode(inserted) {
                try await Self.changed(from: nil, to: raised, today: today, in: transaction)
                Counter(label: "conform_alerts_raised_total", dimensions: [("kind", draft.key.kind.rawValue), ("level", level.rawValue)]).increment()
            }
        }
    }

    /// Sends to management every open alert overdue by the policy's days.
    ///
    /// - Returns: how many escalated.
    static func escalate(policy: AlertPolicy, today: Day, in transaction: WriteTransaction) async throws -> Int {
        let cutoff = today.adding(days: -policy.escalateAfterDays)
        let connection = transaction.connection
        let logger = transaction.logger
        let due = try await Self.decode(
            try await connection.query(
                """
                SELECT \(unescaped: Self.columns) FROM alerts
                WHERE resolved_at_micros = 0 AND level = 'quality-team' AND due_on <= \(cutoff.description)::date
                ORDER BY id FOR UPDATE
                """,
                logger: logger
            )
        )
        guard !due.isEmpty else { return 0 }
        let rows = try await connection.query(
            """
            UPDATE alerts SET level = 'management', escalated_at_micros = \(Timestamps.nowMicros()), revision = nextval('alert_revisions')
            WHERE id = ANY(\(due.map(\.id))) RETURNING \(unescaped: Self.columns)
            """,
            logger: logger
        )
        let before = Dictionary(due.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let escalated = try await Self.decode(rows)
        for alert in escalated { try await Self.changed(from: before[alert.id], to: alert, today: today, in: transaction) }
        return escalated.count
    }

    /// Open alerts of `kinds` (about `subject` when given).
    static func open(kinds: [AlertKind], subject: String?, on connection: PostgresConnection, logger: Logger) async throws -> [Alert] {
        let rows = try await connection.query(
            """
            SELECT \(unescaped: Self.columns) FROM alerts
            WHERE resolved_at_micros = 0 AND kind = ANY(\(kinds.map(\.rawValue))) AND (\(subject)::text IS NULL OR subject = \(subject))
            """,
            logger: logger
        )
        return try await Self.decode(rows)
    }

    /// Alerts of one customer (every customer's and suppliers' when nil), open ones or all,
    /// newest first: those older than alert `after`, at most `limit` (every one when nil).
    static func list(
        customer: String?, includeResolved: Bool, after: String? = nil, limit: Int? = nil, in database: Database, logger: Logger
    ) async throws -> [Alert] {
        try await database.read(logger: logger) { connection in
            let rows = try await connection.query(
                """
                SELECT \(unescaped: Self.columns) FROM alerts
                WHERE (\(customer)::text IS NULL OR customer = \(customer)) AND (\(includeResolved) OR resolved_at_micros = 0)
                  AND (\(after)::bigint IS NULL OR id < \(after)::bigint)
                ORDER BY id DESC LIMIT \(limit)
                """,
                logger: logger
            )
            return try await Self.decode(rows)
        }
    }

    /// Where a watch has read alert changes to: the transaction and revision of the last
    /// change it sent.
    struct ChangeCursor: Sendable, Equatable {
        var txid: Int64
        var revision: Int64
    }

    /// Alerts changed after `cursor` by transactions that have all ended, in commit order
    /// (by transaction, then revision), with the cursor of the last. Changes of transactions
    /// still running (or younger than one still running anywhere) wait for the next call, so
    /// nothing commits later below the cursor.
    static func changes(after cursor: ChangeCursor, customer: String?, limit: Int, in database: Database, logger: Logger) async throws -> [(Alert, ChangeCursor)] {
        try await database.read(logger: logger) { connection in
            let rows = try await connection.query(
                """
                SELECT \(unescaped: Self.columns), changed_txid FROM alerts
                WHERE (changed_txid, revision) > (\(cursor.txid), \(cursor.revision))
                    AND changed_txid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint
                    AND (\(customer)::text IS NULL OR customer = \(customer))
                ORDER BY changed_txid, revision LIMIT \(limit)
                """,
                logger: logger
            )
            var changes: [(Alert, ChangeCursor)] = []
            for try await row in rows {
                let alert = try Self.decode(row)
                let txid = try row.makeRandomAccess()[17].decode(Int64.self)
                changes.append((alert, ChangeCursor(txid: txid, revision: alert.revision)))
            }
            return changes
        }
    }

    /// The cursor after every alert change committed so far.
    static func latestChange(in database: Database, logger: Logger) async throws -> ChangeCursor {
        try await database.read(logger: logger) { connection in
            let rows = try await connection.query(
                """
                SELECT changed_txid, revision FROM alerts
                WHERE changed_txid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint
                ORDER BY changed_txid DESC, revision DESC LIMIT 1
                """,
                logger: logger
            )
            for try await (txid, revision) in rows.decode((Int64, Int64).self) { return ChangeCursor(txid: txid, revision: revision) }
            return ChangeCursor(txid: -1, revision: 0)
        }
    }

    /// Records who acknowledged an open alert and what they are doing about it.
    static func acknowledge(id: Int64, by principal: String, note: String, in transaction: WriteTransaction) async throws -> Alert {
        let connection = transaction.connection
        let logger = transaction.logger
        let rows = try await connection.query("SELECT \(unescaped: Self.columns) FROM alerts WHERE id = \(id) FOR UPDATE", logger: logger)
        guard let alert = try await Self.decode(rows).first else {
            throw DomainError.notFound("no alert \(id); ListAlerts shows the open ones")
        }
        guard alert.resolvedAtMicros == 0 else {
            throw DomainError.failedPrecondition("alert \(id) resolved already (\(alert.resolution)); there is nothing to acknowledge")
        }
        let updated = try await connection.query(
            """
            UPDATE alerts SET acknowledged_by = \(principal), acknowledged_at_micros = \(Timestamps.nowMicros()),
                acknowledgement_note = \(note), revision = nextval('alert_revisions')
            WHERE id = \(id) RETURNING \(unescaped: Self.columns)
            """,
            logger: logger
        )
        let acknowledged = try await Self.decode(updated)[0]
        try await Self.changed(from: alert, to: acknowledged, today: .today, in: transaction)
        return acknowledged
    }

    private static func decode(_ rows: PostgresRowSequence) async throws -> [Alert] {
        var alerts: [Alert] = []
        for try await row in rows {
            alerts.append(try Self.decode(row))
        }
        return alerts
    }

    /// One alert from a row that starts with `columns`.
    private static func decode(_ row: PostgresRow) throws -> Alert {
            let random = row.makeRandomAccess()
            let kind = AlertKind(rawValue: try random[1].decode(String.self)) ?? .batchNonCompliant
            let due = Day(try random[8].decode(String.self)) ?? Day.today
            let customer = try random[3].decode(String.self)
            let requirementID = try random[4].decode(String.self)
            return Alert(
                id: try random[0].decode(Int64.self),
                draft: AlertDraft(
                    key: AlertKey(
                        kind: kind, subject: try random[2].decode(String.self),
                        requirement: requirementID.isEmpty ? nil : RequirementRef(customer: customer, id: requirementID)
                    ),
                    isMandatory: try random[5].decode(Bool.self),
                    detail: try random[6].decode(String.self),
                    dueOn: due
                ),
                level: AlertLevel(rawValue: try random[7].decode(String.self)) ?? .qualityTeam,
                raisedAtMicros: try random[9].decode(Int64.self),
                escalatedAtMicros: try random[10].decode(Int64.self),
                acknowledgedBy: try random[11].decode(String.self),
                acknowledgedAtMicros: try random[12].decode(Int64.self),
                acknowledgementNote: try random[13].decode(String.self),
                resolvedAtMicros: try random[14].decode(Int64.self),
                resolution: try random[15].decode(String.self),
                revision: try random[16].decode(Int64.self)
            )
    }
}

extension AlertStore {
    /// The policy a quality manager set, or the standard one.
    static func policy(on connection: PostgresConnection, logger: Logger) async throws -> (AlertPolicy, setBy: String, setAtMicros: Int64) {
        let rows = try await connection.query(
            "SELECT escalate_after_days, audit_due_within_days, set_by, set_at_micros FROM alert_policy WHERE id = 1",
            logger: logger
        )
        for try await (escalate, within, by, at) in rows.decode((Int32, Int32, String, Int64).self) {
            return (AlertPolicy(escalateAfterDays: Int(escalate), auditDueWithinDays: Int(within)), by, at)
        }
        return (.standard, "", 0)
    }

    static func policy(in database: Database, logger: Logger) async throws -> (AlertPolicy, setBy: String, setAtMicros: Int64) {
        try await database.read(logger: logger) { try await Self.policy(on: $0, logger: logger) }
    }

    /// Sets the policy; `transaction` records the change.
    static func setPolicy(_ policy: AlertPolicy, in transaction: WriteTransaction) async throws -> Conform_Reporting_V1_AlertPolicy {
        let connection = transaction.connection
        let logger = transaction.logger
        let (old, oldBy, oldAt) = try await Self.policy(on: connection, logger: logger)
        let now = Timestamps.nowMicros()
        let principal = transaction.call.principal.name
        try await connection.query(
            """
            INSERT INTO alert_policy (id, escalate_after_days, audit_due_within_days, set_by, set_at_micros)
            VALUES (1, \(Int32(policy.escalateAfterDays)), \(Int32(policy.auditDueWithinDays)), \(principal), \(now))
            ON CONFLICT (id) DO UPDATE SET escalate_after_days = EXCLUDED.escalate_after_days,
                audit_due_within_days = EXCLUDED.audit_due_within_days, set_by = EXCLUDED.set_by, set_at_micros = EXCLUDED.set_at_micros
            """,
            logger: logger
        )
        let after = policy.message(setBy: principal, setAtMicros: now)
        try await transaction.recordChange(object: "alert-policy", before: old.message(setBy: oldBy, setAtMicros: oldAt), after: after)
        return after
    }
}
