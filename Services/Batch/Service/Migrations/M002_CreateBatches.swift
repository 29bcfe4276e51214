import ConformStorage

/// Orders, per-product consolidation, batches with their frozen requirement snapshots,
/// record fields, serials, waivers and amendments.
enum CreateBatches {
    static let migration = Migration(
        version: 2,
        name: "create orders, batches, record fields, serials, waivers and amendments",
        statements: [
            """
            CREATE TABLE orders (
                reference text PRIMARY KEY,
                customer text NOT NULL,
                product text NOT NULL,
                quantity integer NOT NULL CHECK (quantity > 0),
                created_at_micros bigint NOT NULL,
                created_by text NOT NULL
            )
            """,
            """
            CREATE TABLE product_modes (
                product text PRIMARY KEY,
                consolidated boolean NOT NULL,
                set_by text NOT NULL,
                set_at_micros bigint NOT NULL
            )
            """,
            """
            CREATE TABLE batches (
                number text PRIMARY KEY,
                product text NOT NULL,
                customer text NOT NULL,
                order_reference text NOT NULL,
                manufacture_date date NOT NULL,
                quantity integer NOT NULL CHECK (quantity > 0),
                status text NOT NULL CHECK (status IN ('open', 'released', 'rejected')),
                consolidated boolean NOT NULL,
                requirements text NOT NULL,
                legal_hold_reason text,
                archived boolean NOT NULL DEFAULT false,
                created_at_micros bigint NOT NULL,
                created_by text NOT NULL,
                completed_at_micros bigint,
                completed_by text,
                completion_reason text NOT NULL DEFAULT '',
                release_signature bigint
            )
            """,
            "CREATE INDEX batches_by_customer ON batches (customer, product)",
            """
            CREATE TABLE batch_fields (
                batch text NOT NULL REFERENCES batches (number) ON DELETE CASCADE,
                name text NOT NULL,
                value text NOT NULL,
                recorded_by text NOT NULL,
                recorded_at_micros bigint NOT NULL,
                PRIMARY KEY (batch, name)
            )
            """,
            """
            CREATE TABLE serials (
                serial text PRIMARY KEY,
                batch text NOT NULL REFERENCES batches (number) ON DELETE CASCADE,
                qr_payload text NOT NULL,
                nfc_tag text
            )
            """,
            "CREATE INDEX serials_by_batch ON serials (batch, serial)",
            """
            CREATE TABLE waivers (
                batch text NOT NULL REFERENCES batches (number) ON DELETE CASCADE,
                customer text NOT NULL,
                requirement_id text NOT NULL,
                reason text NOT NULL,
                approval_reference text NOT NULL,
                waived_by text NOT NULL,
                waived_at_micros bigint NOT NULL,
                PRIMARY KEY (batch, customer, requirement_id)
            )
            """,
            """
            CREATE TABLE amendments (
                batch text NOT NULL REFERENCES batches (number),
                number integer NOT NULL,
                reason text NOT NULL,
                changes text[] NOT NULL,
                amended_by text NOT NULL,
                amended_at_micros bigint NOT NULL,
                PRIMARY KEY (batch, number)
            )
            """,
        ]
    )
}
