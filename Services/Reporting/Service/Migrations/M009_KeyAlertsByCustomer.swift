import ConformStorage

/// A consolidated batch carries several customers' requirements, and two customers may give
/// a requirement the same id: an open alert is one per customer's requirement, not per id.
enum KeyAlertsByCustomer {
    static let migration = Migration(
        version: 9,
        name: "one open alert per batch and customer's requirement",
        statements: [
            "DROP INDEX alerts_open_once",
            "CREATE UNIQUE INDEX alerts_open_once ON alerts (kind, subject, customer, requirement_id) WHERE resolved_at_micros = 0",
        ]
    )
}
