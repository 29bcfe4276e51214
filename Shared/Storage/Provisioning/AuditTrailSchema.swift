/// The audit trail's tables, made by provisioning and owned by the administrator, so the
/// service's role can read and append but never change or remove what it wrote.
///
/// - `audit_trail`: entries as calls and writes insert them, with no lock: an id drawn
///   from a sequence and the inserting transaction's id (`txid`), which tells the sealer
///   where it need no longer look for entries still to come.
/// - `audit_seals`: the chain. The sealer gives each committed entry its position
///   (`sequence`, contiguous from 1) and its hash over the entry and the hash before it.
/// - `audit_checkpoints`: the chain's head at intervals, signed with the service's key.
///
/// A trail of the earlier, single-table shape (sealed as it was written, under a lock) is
/// carried over as it is: its entries keep their positions and hashes.
enum AuditTrailSchema {
    static func statements(schema: String, role: String) -> [String] {
        let appendOnly = ["audit_trail", "audit_seals", "audit_checkpoints"]
        return [
            // The earlier shape is renamed aside, copied below, then dropped: one DO block each,
            // so an interrupted provisioning leaves either shape whole.
            """
            DO $$ BEGIN
                IF EXISTS (SELECT FROM information_schema.columns
                           WHERE table_schema = '\(schema)' AND table_name = 'audit_trail' AND column_name = 'previous_hash') THEN
                    ALTER TABLE \(schema).audit_trail RENAME TO audit_trail_v1;
                    ALTER TABLE \(schema).audit_trail_v1 RENAME CONSTRAINT audit_trail_pkey TO audit_trail_v1_pkey;
                END IF;
            END $$
            """,
            "CREATE SEQUENCE IF NOT EXISTS \(schema).audit_entry_ids",
            """
            CREATE TABLE IF NOT EXISTS \(schema).audit_trail (
                entry_id bigint PRIMARY KEY DEFAULT nextval('\(schema).audit_entry_ids'),
                txid bigint NOT NULL DEFAULT (pg_current_xact_id()::text::bigint),
                recorded_at_micros bigint NOT NULL,
                principal text NOT NULL,
                action text NOT NULL,
                outcome text NOT NULL,
                object text NOT NULL,
                detail text NOT NULL,
                request_id text NOT NULL
            )
            """,
            "CREATE INDEX IF NOT EXISTS audit_trail_by_transaction ON \(schema).audit_trail (txid, entry_id)",
            """
            CREATE TABLE IF NOT EXISTS \(schema).audit_seals (
                sequence bigint PRIMARY KEY,
                entry_id bigint NOT NULL UNIQUE REFERENCES \(schema).audit_trail (entry_id),
                -- Every committed entry of a transaction below this id is sealed (as of this seal):
                -- the sealer looks for unsealed entries from there on only.
                sealed_below_txid bigint NOT NULL,
                sealed_at_micros bigint NOT NULL,
                previous_hash text NOT NULL,
                hash text NOT NULL
            )
            """,
            """
            CREATE TABLE IF NOT EXISTS \(schema).audit_checkpoints (
                size bigint PRIMARY KEY,
                head_hash text NOT NULL,
                signed_at_micros bigint NOT NULL,
                certificate_pem text NOT NULL,
                signature bytea NOT NULL
            )
            """,
            """
            DO $$ BEGIN
                IF to_regclass('\(schema).audit_trail_v1') IS NOT NULL THEN
                    INSERT INTO \(schema).audit_trail
                        (entry_id, txid, recorded_at_micros, principal, action, outcome, object, detail, request_id)
                    SELECT sequence, 0, recorded_at_micros, principal, action, outcome, object, detail, request_id
                    FROM \(schema).audit_trail_v1;
                    INSERT INTO \(schema).audit_seals (sequence, entry_id, sealed_below_txid, sealed_at_micros, previous_hash, hash)
                    SELECT sequence, sequence, 0, recorded_at_micros, previous_hash, hash FROM \(schema).audit_trail_v1;
                    PERFORM setval('\(schema).audit_entry_ids', (SELECT max(sequence) FROM \(schema).audit_trail_v1))
                    WHERE EXISTS (SELECT FROM \(schema).audit_trail_v1);
                    DROP TABLE \(schema).audit_trail_v1;
                END IF;
            END $$
            """,
            """
            CREATE OR REPLACE FUNCTION \(schema).audit_trail_is_append_only() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'the audit trail is append-only: % is not allowed', TG_OP
                    USING ERRCODE = 'insufficient_privilege';
            END $$
            """,
        ] + appendOnly.flatMap { table in
            [
                "DROP TRIGGER IF EXISTS \(table)_no_change ON \(schema).\(table)",
                """
                CREATE TRIGGER \(table)_no_change BEFORE UPDATE OR DELETE ON \(schema).\(table)
                FOR EACH ROW EXECUTE FUNCTION \(schema).audit_trail_is_append_only()
                """,
                "DROP TRIGGER IF EXISTS \(table)_no_truncate ON \(schema).\(table)",
                """
                CREATE TRIGGER \(table)_no_truncate BEFORE TRUNCATE ON \(schema).\(table)
                FOR EACH STATEMENT EXECUTE FUNCTION \(schema).audit_trail_is_append_only()
                """,
                "REVOKE ALL ON \(schema).\(table) FROM PUBLIC",
                "REVOKE ALL ON \(schema).\(table) FROM \(role)",
                "GRANT SELECT, INSERT ON \(schema).\(table) TO \(role)",
            ]
        } + [
            "REVOKE ALL ON SEQUENCE \(schema).audit_entry_ids FROM PUBLIC",
            "GRANT USAGE ON SEQUENCE \(schema).audit_entry_ids TO \(role)",
        ]
    }
}
