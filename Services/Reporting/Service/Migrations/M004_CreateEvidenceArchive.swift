import ConformStorage

/// The evidence archive as the feeds describe it (items and the signatures on them), for
/// audit reports and exports; filled from the events already journaled, so a read model that
/// was running before this migration loses nothing, and every known batch's compliance read
/// once more.
enum CreateEvidenceArchive {
    static let migration = Migration(
        version: 4,
        name: "create the evidence archive: items and signatures",
        statements: [
            """
            CREATE TABLE evidence_items (
                id bigint PRIMARY KEY,
                batch text NOT NULL,
                type text NOT NULL,
                file_name text NOT NULL,
                media_type text NOT NULL,
                sha256 text NOT NULL,
                size bigint NOT NULL,
                uploaded_by text NOT NULL,
                uploaded_at_micros bigint NOT NULL,
                satisfies text[] NOT NULL,
                requirement_ids text[] NOT NULL,
                supersedes bigint NOT NULL,
                superseded_by bigint NOT NULL DEFAULT 0
            )
            """,
            "CREATE INDEX evidence_items_by_batch ON evidence_items (batch, id)",
            // `item` is set for signatures on an evidence item, `batch` for those on a batch.
            """
            CREATE TABLE signatures (
                id bigint PRIMARY KEY,
                target text NOT NULL,
                item bigint,
                batch text,
                signer text NOT NULL,
                printed_name text NOT NULL,
                meaning text NOT NULL,
                signed_at_micros bigint NOT NULL
            )
            """,
            "CREATE INDEX signatures_by_item ON signatures (item) WHERE item IS NOT NULL",
            "CREATE INDEX signatures_by_batch ON signatures (batch) WHERE batch IS NOT NULL",
            // When the refresher last stored the batch's compliance (0: never), so a batch with no
            // requirements in force shows as evaluated rather than pending.
            "ALTER TABLE batch_summaries ADD COLUMN evaluated_at_micros bigint NOT NULL DEFAULT 0",
            // Reports and exports read a customer's batches by manufacture date.
            "CREATE INDEX batch_summaries_by_customer_day ON batch_summaries (customer, manufacture_date)",
            // The journal holds each payload as SwiftProtobuf wrote it: proto3 JSON, lowerCamelCase
            // names, 64-bit integers as strings, defaults left out.
            """
            INSERT INTO evidence_items (id, batch, type, file_name, media_type, sha256, size, uploaded_by, uploaded_at_micros,
                                        satisfies, requirement_ids, supersedes)
            SELECT (p->>'id')::bigint, coalesce(p->>'batch', ''), coalesce(p->>'type', ''), coalesce(p->>'fileName', ''),
                   coalesce(p->>'mediaType', ''), coalesce(p->>'sha256', ''), coalesce((p->>'size')::bigint, 0),
                   coalesce(p->>'uploadedBy', ''), coalesce((p->>'uploadedAtMicros')::bigint, 0),
                   ARRAY(SELECT jsonb_array_elements_text(coalesce(p->'satisfies', '[]'::jsonb))),
                   ARRAY(SELECT split_part(CASE WHEN position('/' IN s) > 0 THEN substr(s, position('/' IN s) + 1) ELSE s END, ' ', 1)
                         FROM jsonb_array_elements_text(coalesce(p->'satisfies', '[]'::jsonb)) AS s),
                   coalesce((p->>'supersedes')::bigint, 0)
            FROM (SELECT payload::jsonb AS p FROM feed_events WHERE source = 'evidence' AND type = 'evidence.attached') AS attached
            WHERE p ? 'id'
            ON CONFLICT (id) DO NOTHING
            """,
            """
            UPDATE evidence_items AS old SET superseded_by = newer.id
            FROM evidence_items AS newer WHERE newer.supersedes = old.id
            """,
            """
            INSERT INTO signatures (id, target, item, batch, signer, printed_name, meaning, signed_at_micros)
            SELECT (p->>'id')::bigint, p->>'target',
                   CASE WHEN p->>'target' LIKE 'evidence:%' THEN substr(p->>'target', 10)::bigint END,
                   CASE WHEN p->>'target' LIKE 'batch:%' THEN substr(p->>'target', 7) END,
                   coalesce(p->>'signer', ''), coalesce(p->>'printedName', ''),
                   lower(replace(coalesce(p->>'meaning', 'SIGNATURE_MEANING_UNSPECIFIED'), 'SIGNATURE_MEANING_', '')),
                   coalesce((p->>'signedAtMicros')::bigint, 0)
            FROM (SELECT payload::jsonb AS p FROM feed_events WHERE source = 'evidence' AND type = 'signature.applied') AS applied
            WHERE p ? 'id' AND p ? 'target'
            ON CONFLICT (id) DO NOTHING
            """,
            // Batches journaled before reporting followed compliance were never evaluated: read
            // each one's compliance once (the refresher works through the marks).
            "INSERT INTO stale_batches (number, since_micros) SELECT number, 0 FROM batch_summaries ON CONFLICT (number) DO NOTHING",
        ]
    )
}
