import ConformStorage

/// Customers and the products they order.
enum CreateCustomersAndProducts {
    static let migration = Migration(
        version: 2,
        name: "create customers and products",
        statements: [
            """
            CREATE TABLE customers (
                code text PRIMARY KEY,
                name text NOT NULL,
                industry text NOT NULL,
                contacts text NOT NULL DEFAULT '[]',
                notes text NOT NULL DEFAULT '',
                created_at_micros bigint NOT NULL,
                created_by text NOT NULL
            )
            """,
            """
            CREATE TABLE products (
                code text PRIMARY KEY,
                name text NOT NULL,
                family text NOT NULL DEFAULT '',
                description text NOT NULL DEFAULT '',
                created_at_micros bigint NOT NULL,
                created_by text NOT NULL
            )
            """,
            "CREATE INDEX products_by_family ON products (family, code)",
        ]
    )
}
