#!/usr/bin/env python3
"""check_release_trace.py SPANS.jsonl TRACE_ID ROOT_SPAN_ID: the release under TRACEPARENT
00-TRACE_ID-ROOT_SPAN_ID-01 is one connected trace across batch, evidence and supplier."""
import json, sys

spans_file, trace_id, root_id = sys.argv[1:4]
spans = [s for s in map(json.loads, open(spans_file)) if s["trace_id"] == trace_id]
by_id = {s["span_id"]: s for s in spans}
loose = [s["name"] for s in spans if s["parent_span_id"] not in by_id and s["parent_span_id"] != root_id]
assert not loose, f"spans whose parent is not in the trace: {loose}"

def children(span):
    return [s for s in spans if s["parent_span_id"] == span["span_id"]]

def subtree(span):
    found = []
    for child in children(span):
        found += [child] + subtree(child)
    return found

releases = [s for s in spans if s["name"] == "conform.batch.v1.BatchService/Release" and s["kind"] == "SPAN_KIND_SERVER"]
assert len(releases) == 1, f"{len(releases)} Release server spans"
release = releases[0]
assert release["service"] == "conform-batch" and release["parent_span_id"] == root_id
assert release["attributes"].get("rpc.grpc.status_code") == 0, release
under = subtree(release)

def call(client, server, method):
    clients = [s for s in under if s["service"] == client and s["kind"] == "SPAN_KIND_CLIENT" and s["name"] == method]
    assert clients, f"no {method} client span in {client}"
    served = [s for c in clients for s in children(c) if s["kind"] == "SPAN_KIND_SERVER" and s["service"] == server]
    assert served, f"{method}: no server span in {server} under the client span"

call("conform-batch", "conform-evidence", "conform.evidence.v1.EvidenceService/BatchEvidence")
call("conform-batch", "conform-supplier", "conform.supplier.v1.SupplierService/GetLotStatus")
call("conform-batch", "conform-evidence", "conform.evidence.v1.EvidenceService/Sign")
call("conform-evidence", "conform-batch", "conform.batch.v1.BatchService/Checklist")
for service in ("conform-batch", "conform-evidence", "conform-supplier"):
    assert any(s["service"] == service and s["attributes"].get("db.system") == "postgresql" for s in under), f"no database span in {service}"
print(f"release trace {trace_id}: {len(spans)} spans, {len(under)} under Release, services {sorted({s['service'] for s in spans})}")
