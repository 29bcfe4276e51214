import ConformStorage

/// Contract reviews and their items (ISO 9001 8.2.2 / 8.2.3).
enum CreateContractReviews {
    static let migration = Migration(
        version: 5,
        name: "create contract reviews",
        statements: [
            """
            CREATE TABLE contract_reviews (
                id bigserial PRIMARY KEY,
                customer text NOT NULL REFERENCES customers (code),
                contract_reference text NOT NULL,
                review_date date NOT NULL,
                status text NOT NULL CHECK (status IN ('open', 'accepted')),
                contract_open boolean NOT NULL DEFAULT true,
                needs_rereview text NOT NULL DEFAULT '',
                accepted_by text NOT NULL DEFAULT '',
                accepted_at_micros bigint NOT NULL DEFAULT 0,
                created_by text NOT NULL,
                created_at_micros bigint NOT NULL
            )
            """,
            """
            CREATE TABLE contract_review_items (
                review_id bigint NOT NULL REFERENCES contract_reviews (id),
                position integer NOT NULL,
                requirement_id text NOT NULL,
                version text NOT NULL,
                strength text NOT NULL,
                statement text NOT NULL,
                decision text NOT NULL CHECK (decision IN ('pending', 'can-meet', 'cannot-meet', 'deviation-agreed')),
                note text NOT NULL DEFAULT '',
                PRIMARY KEY (review_id, position)
            )
            """,
            "CREATE INDEX contract_review_items_by_requirement ON contract_review_items (requirement_id)",
        ]
    )
}
