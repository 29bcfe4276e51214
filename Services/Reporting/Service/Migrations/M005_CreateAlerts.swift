import ConformStorage

/// Alerts to the quality team and management, and the policy that escalates them.
enum CreateAlerts {
    static let migration = Migration(
        version: 5,
        name: "create alerts and the alert policy",
        statements: [
            // Every change takes the next revision, so a watcher asks for what is newer than
            // the last it saw.
            "CREATE SEQUENCE alert_revisions",
            """
            CREATE TABLE alerts (
                id bigserial PRIMARY KEY,
                kind text NOT NULL,
                subject text NOT NULL,
                customer text NOT NULL,
                requirement_id text NOT NULL,
                mandatory boolean NOT NULL,
                detail text NOT NULL,
                level text NOT NULL,
                due_on date NOT NULL,
                raised_at_micros bigint NOT NULL,
                escalated_at_micros bigint NOT NULL DEFAULT 0,
                acknowledged_by text NOT NULL DEFAULT '',
                acknowledged_at_micros bigint NOT NULL DEFAULT 0,
                acknowledgement_note text NOT NULL DEFAULT '',
                resolved_at_micros bigint NOT NULL DEFAULT 0,
                resolution text NOT NULL DEFAULT '',
                revision bigint NOT NULL DEFAULT nextval('alert_revisions')
            )
            """,
            // One open alert per problem; once resolved, a recurrence is a new alert.
            "CREATE UNIQUE INDEX alerts_open_once ON alerts (kind, subject, requirement_id) WHERE resolved_at_micros = 0",
            "CREATE INDEX alerts_by_revision ON alerts (revision)",
            "CREATE INDEX alerts_by_customer ON alerts (customer, resolved_at_micros)",
            """
            CREATE TABLE alert_policy (
                id int PRIMARY KEY CHECK (id = 1),
                escalate_after_days int NOT NULL,
                audit_due_within_days int NOT NULL,
                set_by text NOT NULL,
                set_at_micros bigint NOT NULL
            )
            """,
        ]
    )
}
