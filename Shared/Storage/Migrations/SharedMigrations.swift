/// The tables every service has besides its own: the outbox its events are served from,
/// and the idempotency keys of retried writes. (The audit trail is made by provisioning,
/// owned by another role, so that the service cannot alter or drop it.)
public enum SharedMigrations {
    /// Migration 1 of every service.
    public static let outboxAndIdempotency = Migration(
        version: 1,
        name: "create outbox and idempotency keys",
        statements: [
            """
            CREATE TABLE outbox (
                -- Drawn under the schema's write lock (WriteOrder), so it is commit order.
                sequence bigserial PRIMARY KEY,
                type text NOT NULL,
                subject text NOT NULL,
                payload text NOT NULL,
                occurred_at_micros bigint NOT NULL
            )
            """,
            """
            CREATE TABLE idempotency_keys (
                principal text NOT NULL,
                key text NOT NULL,
                method text NOT NULL,
                request_sha256 bytea NOT NULL,
                response bytea,
                created_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (principal, key)
            )
            """,
        ]
    )
}
