import ConformStorage

/// Signatories and their qualifications, content stored once per SHA-256, evidence items and
/// signatures. Items and signatures are immutable: a correction is a new item.
enum CreateEvidence {
    static let migration = Migration(
        version: 2,
        name: "create signatories, contents, evidence items and signatures",
        statements: [
            """
            CREATE TABLE signatories (
                principal text PRIMARY KEY,
                printed_name text NOT NULL,
                public_key_pem text NOT NULL,
                key_fingerprint text NOT NULL,
                registered_at_micros bigint NOT NULL,
                registered_by text NOT NULL
            )
            """,
            """
            CREATE TABLE qualifications (
                id bigserial PRIMARY KEY,
                principal text NOT NULL REFERENCES signatories (principal),
                kind text NOT NULL CHECK (kind IN ('role', 'certification')),
                name text NOT NULL,
                valid_from date NOT NULL,
                valid_to date,
                reference text NOT NULL,
                granted_by text NOT NULL,
                granted_at_micros bigint NOT NULL
            )
            """,
            "CREATE INDEX qualifications_by_principal ON qualifications (principal)",
            """
            CREATE TABLE contents (
                sha256 text PRIMARY KEY,
                size bigint NOT NULL,
                chunk_count integer NOT NULL,
                stored_at_micros bigint NOT NULL
            )
            """,
            // A blob is a content's sha256 once complete, or "upload:<id>" while it arrives.
            """
            CREATE TABLE content_chunks (
                blob text NOT NULL,
                seq integer NOT NULL,
                data bytea NOT NULL,
                PRIMARY KEY (blob, seq)
            )
            """,
            """
            CREATE TABLE evidence_items (
                id bigserial PRIMARY KEY,
                batch text NOT NULL,
                kind text NOT NULL CHECK (kind IN ('document', 'photo')),
                type text NOT NULL,
                media_type text NOT NULL,
                file_name text NOT NULL,
                sha256 text NOT NULL REFERENCES contents (sha256),
                size bigint NOT NULL,
                metadata text NOT NULL,
                satisfies text[] NOT NULL,
                uploaded_by text NOT NULL,
                uploaded_at_micros bigint NOT NULL,
                uploader_certifications text[] NOT NULL,
                supersedes bigint UNIQUE REFERENCES evidence_items (id),
                correction_reason text NOT NULL
            )
            """,
            "CREATE INDEX evidence_items_by_batch ON evidence_items (batch, id)",
            """
            CREATE TABLE signatures (
                id bigserial PRIMARY KEY,
                target text NOT NULL,
                digest text NOT NULL,
                meaning text NOT NULL,
                signer text NOT NULL REFERENCES signatories (principal),
                printed_name text NOT NULL,
                signed_at_micros bigint NOT NULL,
                roles_held text[] NOT NULL,
                certifications_held text[] NOT NULL,
                manifest text NOT NULL,
                signature bytea NOT NULL,
                key_fingerprint text NOT NULL,
                recorded_at_micros bigint NOT NULL,
                UNIQUE (signer, target, meaning, signed_at_micros)
            )
            """,
            "CREATE INDEX signatures_by_target ON signatures (target, id)",
            """
            CREATE FUNCTION refuse_evidence_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'evidence is immutable: % on % refused; a correction supersedes an item', TG_OP, TG_TABLE_NAME;
            END
            $$
            """,
            """
            CREATE TRIGGER evidence_items_immutable BEFORE UPDATE OR DELETE ON evidence_items
            FOR EACH ROW EXECUTE FUNCTION refuse_evidence_change()
            """,
            """
            CREATE TRIGGER signatures_immutable BEFORE UPDATE OR DELETE ON signatures
            FOR EACH ROW EXECUTE FUNCTION refuse_evidence_change()
            """,
        ]
    )
}
