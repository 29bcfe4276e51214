import ConformStorage

/// Chunks of an upload still arriving carry when they were staged, so that those a crash
/// left behind can be swept (`OrphanedUploadSweeper`). Chunks staged before this migration
/// have no date; if still staged, they are orphans and go at the first sweep.
enum DateStagedChunks {
    static let migration = Migration(
        version: 6,
        name: "content chunks: when staged",
        statements: [
            // No default: existing rows stay as they are, without rewriting the table.
            "ALTER TABLE content_chunks ADD COLUMN staged_at_micros bigint",
            // Replicas not yet upgraded stage chunks without it during a rolling deploy; dated
            // here, their uploads are not taken for abandoned ones (no table rewrite: the
            // default applies to new rows only).
            "ALTER TABLE content_chunks ALTER COLUMN staged_at_micros SET DEFAULT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint",
            "CREATE INDEX content_chunks_staged ON content_chunks (blob) WHERE blob LIKE 'upload:%'",
        ]
    )
}
