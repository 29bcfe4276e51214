import ConformStorage

/// A customer withdraws a requirement, not one version of it: retirement moves from the
/// versions (where nothing ever set it) to the requirement, with who retired it and why.
enum MoveRetirementToRequirements {
    static let migration = Migration(
        version: 6,
        name: "move retirement from requirement versions to requirements",
        statements: [
            "ALTER TABLE requirement_versions DROP COLUMN retired_on",
            """
            ALTER TABLE requirements
                ADD COLUMN retired_on date,
                ADD COLUMN retirement_reason text NOT NULL DEFAULT '',
                ADD COLUMN retired_by text NOT NULL DEFAULT ''
            """,
        ]
    )
}
