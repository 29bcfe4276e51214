import ConformStorage

/// Each batch's compliance per requirement, as the batch service last decided it, and the
/// batches whose compliance an event may have changed since.
enum CreateComplianceModel {
    static let migration = Migration(
        version: 3,
        name: "create batch compliance, stale batches and item batches",
        statements: [
            """
            CREATE TABLE stale_batches (
                number text PRIMARY KEY,
                since_micros bigint NOT NULL
            )
            """,
            // Which batch an evidence item belongs to, so a signature on an item finds its batch.
            """
            CREATE TABLE item_batches (
                item bigint PRIMARY KEY,
                batch text NOT NULL
            )
            """,
            """
            CREATE TABLE batch_compliance (
                batch text NOT NULL,
                customer text NOT NULL,
                requirement_id text NOT NULL,
                version text NOT NULL,
                mandatory boolean NOT NULL,
                state text NOT NULL,
                missing text[] NOT NULL,
                evaluated_at_micros bigint NOT NULL,
                PRIMARY KEY (batch, customer, requirement_id)
            )
            """,
            "CREATE INDEX batch_compliance_by_requirement ON batch_compliance (customer, requirement_id, state)",
        ]
    )
}
