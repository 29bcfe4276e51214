import ConformStorage

/// A batch's release seal: written with the release signature, in the same transaction, so
/// that evidence or a signature committed after it is refused at its own commit (the batch
/// service's "open" answer, asked before, may be stale by then).
enum SealReleasedBatches {
    static let migration = Migration(
        version: 4,
        name: "release seals",
        statements: [
            """
            CREATE TABLE release_seals (
                batch text PRIMARY KEY,
                signature_id bigint NOT NULL REFERENCES signatures (id),
                record_digest text NOT NULL,
                basis text NOT NULL,
                sealed_at_micros bigint NOT NULL
            )
            """,
            """
            CREATE TRIGGER release_seals_immutable BEFORE UPDATE OR DELETE ON release_seals
            FOR EACH ROW EXECUTE FUNCTION refuse_evidence_change()
            """,
        ]
    )
}
