import ConformStorage

/// Replicas of the reporting service share one schema: a stale batch is claimed by one
/// replica's refresher at a time, and alert changes carry the transaction that made them,
/// so a watch orders them by commit without a lock (as the sealer orders the feed).
enum ShareWorkAmongReplicas {
    static let migration = Migration(
        version: 8,
        name: "claims on stale batches; alert changes ordered by transaction",
        statements: [
            "ALTER TABLE stale_batches ADD COLUMN claimed_until_micros bigint NOT NULL DEFAULT 0",
            "ALTER TABLE alerts ADD COLUMN changed_txid bigint NOT NULL DEFAULT 0",
            """
            CREATE FUNCTION alerts_note_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                NEW.changed_txid := pg_current_xact_id()::text::bigint;
                RETURN NEW;
            END $$
            """,
            "CREATE TRIGGER alerts_changed BEFORE INSERT OR UPDATE ON alerts FOR EACH ROW EXECUTE FUNCTION alerts_note_change()",
            "CREATE INDEX alerts_by_change ON alerts (changed_txid, revision)",
        ]
    )
}
