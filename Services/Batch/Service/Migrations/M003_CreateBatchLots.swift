import ConformStorage

/// The material lots each batch consumes.
enum CreateBatchLots {
    static let migration = Migration(
        version: 3,
        name: "create batch lots",
        statements: [
            """
            CREATE TABLE batch_lots (
                batch text NOT NULL REFERENCES batches (number) ON DELETE CASCADE,
                lot text NOT NULL,
                recorded_by text NOT NULL,
                recorded_at_micros bigint NOT NULL,
                PRIMARY KEY (batch, lot)
            )
            """,
            "CREATE INDEX batch_lots_by_lot ON batch_lots (lot)",
        ]
    )
}
