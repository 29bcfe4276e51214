import ConformStorage

/// A release as a record of its own, moving requested → signed → released (or abandoned):
/// it spans the evidence service (which takes the signature and seals the batch's evidence)
/// and this one, so each step is kept, and a release cut short by a crash is finished or
/// undone by the reconciler rather than left half done.
enum CreateReleases {
    static let migration = Migration(
        version: 5,
        name: "releases",
        statements: [
            """
            CREATE TABLE releases (
                id bigserial PRIMARY KEY,
                batch text NOT NULL REFERENCES batches (number),
                state text NOT NULL CHECK (state IN ('requested', 'signed', 'released', 'abandoned')),
                manifest text NOT NULL,
                signature bytea NOT NULL,
                record_digest text NOT NULL,
                basis text NOT NULL,
                warnings text NOT NULL,
                signature_id bigint,
                requested_by text NOT NULL,
                requested_at_micros bigint NOT NULL,
                updated_at_micros bigint NOT NULL,
                problem text NOT NULL DEFAULT '',
                -- How often the reconciler tried to finish it and failed.
                attempts integer NOT NULL DEFAULT 0
            )
            """,
            // One release of a batch in flight at a time.
            "CREATE UNIQUE INDEX releases_in_flight ON releases (batch) WHERE state IN ('requested', 'signed')",
            "CREATE INDEX releases_by_batch ON releases (batch, id)",
        ]
    )
}
