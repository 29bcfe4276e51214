import ConformStorage

/// Each requirement version's machine-checkable evidence rules, as JSON.
enum AddEvidenceRules {
    static let migration = Migration(
        version: 4,
        name: "add evidence rules to requirement versions",
        statements: [
            "ALTER TABLE requirement_versions ADD COLUMN evidence_rules text NOT NULL DEFAULT '[]'",
        ]
    )
}
