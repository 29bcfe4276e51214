import ConformStorage

/// Who orders what, requirements with their versions, and validated capabilities.
enum CreateRequirements {
    static let migration = Migration(
        version: 3,
        name: "create customer products, requirements, versions and capability validations",
        statements: [
            """
            CREATE TABLE customer_products (
                customer text NOT NULL REFERENCES customers (code),
                product text NOT NULL REFERENCES products (code),
                contract_reference text NOT NULL DEFAULT '',
                created_at_micros bigint NOT NULL,
                created_by text NOT NULL,
                PRIMARY KEY (customer, product, contract_reference)
            )
            """,
            "CREATE INDEX customer_products_by_product ON customer_products (product, customer)",
            """
            CREATE TABLE requirements (
                customer text NOT NULL REFERENCES customers (code),
                requirement_id text NOT NULL,
                category text NOT NULL,
                strength text NOT NULL,
                scope_kind text NOT NULL CHECK (scope_kind IN ('all', 'family', 'products')),
                scope_family text NOT NULL DEFAULT '',
                scope_products text[] NOT NULL DEFAULT '{}',
                created_at_micros bigint NOT NULL,
                created_by text NOT NULL,
                PRIMARY KEY (customer, requirement_id)
            )
            """,
            """
            CREATE TABLE requirement_versions (
                customer text NOT NULL,
                requirement_id text NOT NULL,
                number text NOT NULL,
                title text NOT NULL,
                body text NOT NULL,
                acceptance_criteria text NOT NULL,
                source_kind text NOT NULL,
                source_reference text NOT NULL,
                source_received_on date NOT NULL,
                effective_from date NOT NULL,
                expires_on date,
                required_capabilities text[] NOT NULL DEFAULT '{}',
                draft boolean NOT NULL,
                retired_on date,
                created_at_micros bigint NOT NULL,
                created_by text NOT NULL,
                PRIMARY KEY (customer, requirement_id, number),
                FOREIGN KEY (customer, requirement_id) REFERENCES requirements (customer, requirement_id)
            )
            """,
            """
            CREATE TABLE capability_validations (
                capability text PRIMARY KEY,
                validated_on date NOT NULL,
                validated_by text NOT NULL,
                evidence_reference text NOT NULL,
                recorded_at_micros bigint NOT NULL
            )
            """,
        ]
    )
}
