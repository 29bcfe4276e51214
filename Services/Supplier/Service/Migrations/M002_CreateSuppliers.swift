import ConformStorage

/// Suppliers, the Approved Supplier List, audits, the receiving policy and receipts with
/// their exceptions.
enum CreateSuppliers {
    static let migration = Migration(
        version: 2,
        name: "create suppliers, ASL entries, audits, receiving policy and receipts",
        statements: [
            """
            CREATE TABLE suppliers (
                code text PRIMARY KEY,
                name text NOT NULL,
                sites text[] NOT NULL,
                contacts text NOT NULL,
                created_at_micros bigint NOT NULL,
                created_by text NOT NULL
            )
            """,
            """
            CREATE TABLE asl_entries (
                supplier text PRIMARY KEY REFERENCES suppliers (code),
                status text NOT NULL CHECK (status IN ('approved', 'conditional', 'probation', 'disqualified')),
                scope text[] NOT NULL,
                approved_on date NOT NULL,
                approved_by text NOT NULL,
                valid_until date NOT NULL,
                notes text NOT NULL,
                changed_at_micros bigint NOT NULL
            )
            """,
            """
            CREATE TABLE supplier_audits (
                id bigserial PRIMARY KEY,
                supplier text NOT NULL REFERENCES suppliers (code),
                date date NOT NULL,
                type text NOT NULL,
                auditor text NOT NULL,
                result text NOT NULL CHECK (result IN ('passed', 'passed-with-findings', 'failed')),
                findings text[] NOT NULL,
                next_due date NOT NULL,
                recorded_by text NOT NULL,
                recorded_at_micros bigint NOT NULL
            )
            """,
            "CREATE INDEX supplier_audits_by_supplier ON supplier_audits (supplier, date)",
            """
            CREATE TABLE receiving_policy (
                id integer PRIMARY KEY CHECK (id = 1),
                max_audit_age_days integer NOT NULL CHECK (max_audit_age_days > 0),
                set_by text NOT NULL,
                set_at_micros bigint NOT NULL
            )
            """,
            """
            CREATE TABLE receipts (
                lot text PRIMARY KEY,
                supplier text NOT NULL,
                material text NOT NULL,
                quantity text NOT NULL,
                received_on date NOT NULL,
                coa_evidence bigint,
                verdict text NOT NULL CHECK (verdict IN ('accepted', 'blocked')),
                reasons text[] NOT NULL,
                received_by text NOT NULL,
                last_audit date,
                exception text NOT NULL DEFAULT 'none' CHECK (exception IN ('none', 'requested', 'approved')),
                justification text NOT NULL DEFAULT '',
                requested_by text NOT NULL DEFAULT '',
                approved_by text NOT NULL DEFAULT '',
                approval_manifest text NOT NULL DEFAULT '',
                approval_signature bytea NOT NULL DEFAULT '',
                recorded_at_micros bigint NOT NULL
            )
            """,
            "CREATE INDEX receipts_by_supplier ON receipts (supplier, received_on)",
        ]
    )
}
