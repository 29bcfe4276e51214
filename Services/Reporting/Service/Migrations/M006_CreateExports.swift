import ConformStorage

/// Customer export definitions (every version kept), the exports generated per period with
/// every revision of their content, and the delivery queue.
enum CreateExports {
    static let migration = Migration(
        version: 6,
        name: "create export definitions, exports and deliveries",
        statements: [
            """
            CREATE TABLE export_definitions (
                customer text NOT NULL,
                name text NOT NULL,
                version int NOT NULL,
                schedule text NOT NULL,
                root_element text NOT NULL,
                record_element text NOT NULL,
                field_elements text[] NOT NULL,
                field_sources text[] NOT NULL,
                defined_by text NOT NULL,
                defined_at_micros bigint NOT NULL,
                PRIMARY KEY (customer, name, version)
            )
            """,
            // One export per definition and period: what makes a rerun idempotent.
            """
            CREATE TABLE customer_exports (
                id bigserial PRIMARY KEY,
                customer text NOT NULL,
                name text NOT NULL,
                period text NOT NULL,
                revision int NOT NULL,
                UNIQUE (customer, name, period)
            )
            """,
            """
            CREATE TABLE export_revisions (
                export_id bigint NOT NULL REFERENCES customer_exports (id),
                revision int NOT NULL,
                definition_version int NOT NULL,
                file_name text NOT NULL,
                sha256 text NOT NULL,
                records int NOT NULL,
                content bytea NOT NULL,
                generated_by text NOT NULL,
                generated_at_micros bigint NOT NULL,
                PRIMARY KEY (export_id, revision)
            )
            """,
            """
            CREATE TABLE deliveries (
                id bigserial PRIMARY KEY,
                export_id bigint NOT NULL,
                revision int NOT NULL,
                customer text NOT NULL,
                file_name text NOT NULL,
                status text NOT NULL,
                attempts int NOT NULL DEFAULT 0,
                last_error text NOT NULL DEFAULT '',
                path text NOT NULL DEFAULT '',
                queued_at_micros bigint NOT NULL,
                delivered_at_micros bigint NOT NULL DEFAULT 0,
                next_attempt_at_micros bigint NOT NULL,
                UNIQUE (export_id, revision),
                FOREIGN KEY (export_id, revision) REFERENCES export_revisions (export_id, revision)
            )
            """,
            "CREATE INDEX deliveries_due ON deliveries (next_attempt_at_micros) WHERE status = 'queued'",
        ]
    )
}
