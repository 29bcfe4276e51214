import ConformStorage

/// An amendment of a completed record keeps the record's digest before and after it: the
/// signatures made before stay valid for the revision they signed, and the amendment is
/// approved by a signature of the record after it.
enum SignedAmendments {
    static let migration = Migration(
        version: 6,
        name: "amendments: the record's digest before and after",
        statements: [
            "ALTER TABLE amendments ADD COLUMN digest_before text NOT NULL DEFAULT ''",
            "ALTER TABLE amendments ADD COLUMN digest_after text NOT NULL DEFAULT ''",
        ]
    )
}
