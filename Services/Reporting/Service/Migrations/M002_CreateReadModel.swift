import ConformStorage

/// The read model's base: every event read from the other services' feeds, once, with the
/// cursor each feed was read to; and the batches as those events describe them.
enum CreateReadModel {
    static let migration = Migration(
        version: 2,
        name: "create feed cursors, the event journal and batch summaries",
        statements: [
            """
            CREATE TABLE feed_cursors (
                source text PRIMARY KEY,
                cursor text NOT NULL,
                applied bigint NOT NULL,
                updated_at_micros bigint NOT NULL
            )
            """,
            // The primary key is what makes a replayed event count once.
            """
            CREATE TABLE feed_events (
                source text NOT NULL,
                cursor text NOT NULL,
                type text NOT NULL,
                subject text NOT NULL,
                payload text NOT NULL,
                occurred_at_micros bigint NOT NULL,
                PRIMARY KEY (source, cursor)
            )
            """,
            "CREATE INDEX feed_events_by_type ON feed_events (type, occurred_at_micros)",
            """
            CREATE TABLE batch_summaries (
                number text PRIMARY KEY,
                customer text NOT NULL,
                product text NOT NULL,
                status text NOT NULL,
                manufacture_date date NOT NULL,
                updated_at_micros bigint NOT NULL
            )
            """,
            "CREATE INDEX batch_summaries_by_customer ON batch_summaries (customer, status)",
        ]
    )
}
