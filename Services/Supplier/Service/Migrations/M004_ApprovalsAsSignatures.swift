import ConformStorage

/// An exception's approval is a signature the evidence service keeps, like every other: the
/// receipt names it by id.
enum ApprovalsAsSignatures {
    static let migration = Migration(
        version: 4,
        name: "exception approvals as evidence-service signatures",
        statements: [
            "ALTER TABLE receipts ADD COLUMN approval_signature_id bigint",
        ]
    )
}
