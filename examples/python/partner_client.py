#!/usr/bin/env python3
"""A partner's first Conform client: stock gRPC for Python over HTTP/2 with mutual TLS.

Each step below calls the running services the way an integrator would, and checks the
answer; docs/API.md explains what it shows. Run it against a deployment (dev/start.sh gives
one with demo data):

    pip install -r examples/python/requirements.txt
    examples/python/generate.sh /tmp/conform-stubs
    python3 examples/python/partner_client.py --tls-dir .conform/tls --stubs /tmp/conform-stubs

It prints one line per step and ends with "N passed, M failed"; it exits 1 when a step
failed. It may run again and again against the same database: the only things it writes are
a customer and, when the demo has no batch to refuse, a batch, each named after the run.
"""

import argparse
import datetime
import os
import sys
import traceback
import uuid


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tls-dir", required=True,
                        help="ca.pem, and NAME.pem + NAME-key.pem per principal (dev: .conform/tls)")
    parser.add_argument("--stubs", required=True, help="where generate.sh wrote the Python stubs")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--server-name", default=None,
                        help="the name to expect in the servers' certificates, when --host is not in them")
    for service, port in PORTS.items():
        parser.add_argument(f"--{service}-port", type=int, default=port, help=f"HTTP/2 port (default {port})")
    return parser.parse_args()


# The HTTP/2 (stock gRPC) port of each service. 71xx are Conform's own wire protocol.
PORTS = {"requirement": 7201, "batch": 7202, "evidence": 7203, "supplier": 7204, "reporting": 7205}
ARGS = parse_args()
sys.path.insert(0, ARGS.stubs)

import grpc
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from google.protobuf.descriptor_pool import DescriptorPool
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)
from grpc_status import rpc_status

from conform.audit.v1 import audit_pb2, audit_pb2_grpc
from conform.batch.v1 import batch_pb2, batch_pb2_grpc
from conform.events.v1 import events_pb2, events_pb2_grpc
from conform.evidence.v1 import evidence_pb2, evidence_pb2_grpc
from conform.requirement.v1 import requirement_pb2, requirement_pb2_grpc

# Every call gets a deadline: the server cancels the work when it passes.
DEADLINE_SECONDS = 10
# One id per run: it names what this run creates, so runs never collide.
RUN = datetime.datetime.now(datetime.timezone.utc).strftime("%y%m%d%H%M%S") + "-" + uuid.uuid4().hex[:4].upper()


# ---- Connecting ---------------------------------------------------------------------------

_channels = {}


def channel(service, principal):
    """A channel to `service`'s HTTP/2 port, as `principal`: who you are is your client
    certificate (its CN, OU=role:..., OU=customer:...), nothing else. One channel per
    (service, principal), reused for every call: gRPC multiplexes calls over it."""
    if (service, principal) not in _channels:

        def read(name):
            with open(os.path.join(ARGS.tls_dir, name), "rb") as f:
                return f.read()

        credentials = grpc.ssl_channel_credentials(
            root_certificates=read("ca.pem"),  # the deployment's CA: the servers' certificates chain to it
            private_key=read(f"{principal}-key.pem"),
            certificate_chain=read(f"{principal}.pem"),
        )
        options = [("grpc.ssl_target_name_override", ARGS.server_name)] if ARGS.server_name else []
        port = getattr(ARGS, f"{service}_port")
        _channels[service, principal] = grpc.secure_channel(f"{ARGS.host}:{port}", credentials, options)
    return _channels[service, principal]


def metadata(request_id, idempotency_key=None):
    """x-request-id names the call on every log line and audit entry; idempotency-key makes a
    write safe to retry."""
    pairs = [("x-request-id", request_id)]
    if idempotency_key:
        pairs.append(("idempotency-key", idempotency_key))
    return pairs


def new_request_id(what):
    return f"partner-{RUN}-{what}"


def expect_error(code, rpc, request, **kwargs):
    """Calls `rpc` expecting it to fail with `code`; returns the grpc.RpcError (also a
    grpc.Call: code(), details(), trailing_metadata())."""
    try:
        rpc(request, timeout=DEADLINE_SECONDS, **kwargs)
    except grpc.RpcError as error:
        check(error.code() == code, f"expected {code.name}, got {error.code().name}: {error.details()}")
        return error
    raise Failure(f"expected {code.name}, but the call succeeded")


# ---- Steps --------------------------------------------------------------------------------

class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


# What earlier steps learned, for later ones.
state = {}


def step_health():
    """a. Health: grpc.health.v1's stock client; every service SERVING (any principal may ask)."""
    answers = []
    for service in PORTS:
        health = health_pb2_grpc.HealthStub(channel(service, "auditor"))
        # service="" asks about the server as a whole; a service's full name asks about that API.
        reply = health.Check(health_pb2.HealthCheckRequest(service=""), timeout=DEADLINE_SECONDS)
        status = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
        check(reply.status == health_pb2.HealthCheckResponse.SERVING, f"{service}: {status}")
        answers.append(f"{service} {status}")
    return ", ".join(answers)


def step_reflection():
    """b. Reflection: grpc.reflection's stock client lists one port's services and describes a method."""
    database = ProtoReflectionDescriptorDatabase(channel("requirement", "auditor"))
    services = set(database.get_services())
    for expected in ("conform.requirement.v1.RequirementService", "conform.requirement.v1.RequirementCatalog",
                     "conform.audit.v1.AuditTrail", "conform.events.v1.EventFeed", "grpc.health.v1.Health"):
        check(expected in services, f"{expected} not listed; the server lists {sorted(services)}")
    pool = DescriptorPool(database)
    method = pool.FindMethodByName("conform.requirement.v1.RequirementService.ListCustomers")
    fields = [field.name for field in method.input_type.fields]
    check(method.input_type.full_name == "conform.requirement.v1.ListCustomersRequest",
          f"ListCustomers takes {method.input_type.full_name}")
    check({"page_size", "page_token"} <= set(fields), f"ListCustomersRequest has fields {fields}")
    return (f"{len(services)} services on :{ARGS.requirement_port}; ListCustomers({method.input_type.name} "
            f"{{{', '.join(fields)}}}) -> {method.output_type.name}")


def step_paging():
    """c. Paging: ListCustomers one at a time, following next_page_token to the end."""
    customers = requirement_pb2_grpc.RequirementServiceStub(channel("requirement", "quality-engineer"))
    codes, token, pages = [], "", 0
    while True:
        page = customers.ListCustomers(requirement_pb2.ListCustomersRequest(page_size=1, page_token=token),
                                       timeout=DEADLINE_SECONDS)
        pages += 1
        check(len(page.customers) <= 1, f"page {pages} holds {len(page.customers)} customers, asked for 1")
        codes += [customer.code for customer in page.customers]
        token = page.next_page_token
        if not token:  # "" on the last page
            break
        check(pages < 10_000, "next_page_token never ran out")
    check(codes == sorted(codes) and len(codes) == len(set(codes)), f"pages out of order or repeated: {codes}")
    everything = customers.ListCustomers(requirement_pb2.ListCustomersRequest(page_size=500), timeout=DEADLINE_SECONDS)
    check(not everything.next_page_token, "more than 500 customers: the comparison below needs paging too")
    check(codes == [customer.code for customer in everything.customers], "page by page differs from one big page")
    check({"A", "B", "D"} <= set(codes), f"the demo's customers A, B, D are missing from {codes}")
    return f"{pages} pages of 1 -> {len(codes)} customers, in code order, same as one page of 500"


def step_customer_scope():
    """c'. Customer scope: a principal acting for customer A (OU=customer:A) sees only A."""
    customers = requirement_pb2_grpc.RequirementServiceStub(channel("requirement", "customer-a-auditor"))
    seen = [c.code for c in customers.ListCustomers(requirement_pb2.ListCustomersRequest(), timeout=DEADLINE_SECONDS).customers]
    check(seen == ["A"], f"customer-a-auditor sees {seen}")
    error = expect_error(grpc.StatusCode.PERMISSION_DENIED, customers.GetCustomer, requirement_pb2.GetCustomerRequest(code="B"))
    return f"customer-a-auditor lists {seen}; GetCustomer B -> PERMISSION_DENIED: {error.details()}"


def new_customer_request(name_suffix=""):
    return requirement_pb2.CreateCustomerRequest(
        code=state["customer_code"], name=f"Partner example {RUN}{name_suffix}",
        industry=requirement_pb2.INDUSTRY_OTHER,
        contacts=[requirement_pb2.Contact(name="Pat Partner", email="pat@partner.example", role="integration")],
        notes="created by examples/python/partner_client.py",
    )


def step_idempotent_write():
    """d. Idempotency: the same write sent twice with one idempotency-key answers the same."""
    customers = requirement_pb2_grpc.RequirementServiceStub(channel("requirement", "quality-engineer"))
    state["customer_code"] = f"PARTNER-{RUN}"
    key = state["customer_key"] = str(uuid.uuid4())  # one key per write; keep it until the write is answered
    state["create_request_id"] = new_request_id("create-customer")
    first = customers.CreateCustomer(new_customer_request(), timeout=DEADLINE_SECONDS,
                                     metadata=metadata(state["create_request_id"], key))
    # The answer was "lost": send exactly the same request with the same key again.
    state["retry_request_id"] = new_request_id("create-customer-retry")
    again = customers.CreateCustomer(new_customer_request(), timeout=DEADLINE_SECONDS,
                                     metadata=metadata(state["retry_request_id"], key))
    check(again == first, f"the retry answered differently:\n{first}\nvs\n{again}")
    check(first.code == state["customer_code"] and first.created_by == "quality-engineer", f"created {first}")
    return f"CreateCustomer {first.code} twice with key {key[:8]}…: one customer, identical answers (created_at {first.created_at_micros})"


def step_idempotency_misuse():
    """d'. Idempotency keys misused: the same key with another request is refused; no key, a new write."""
    check("customer_key" in state, "needs the idempotency step's write")
    customers = requirement_pb2_grpc.RequirementServiceStub(channel("requirement", "quality-engineer"))
    reused = expect_error(grpc.StatusCode.FAILED_PRECONDITION, customers.CreateCustomer,
                          new_customer_request(name_suffix=" (renamed)"),
                          metadata=metadata(new_request_id("key-reused"), state["customer_key"]))
    check("idempotency key" in reused.details(), f"message does not name the idempotency key: {reused.details()}")
    again = expect_error(grpc.StatusCode.ALREADY_EXISTS, customers.CreateCustomer, new_customer_request(),
                         metadata=metadata(new_request_id("no-key")))
    return f"same key, other name -> FAILED_PRECONDITION; no key -> ALREADY_EXISTS: {again.details()}"


def step_errors():
    """e. Errors: INVALID_ARGUMENT names the request field; NOT_FOUND; PERMISSION_DENIED names the roles."""
    customers = requirement_pb2_grpc.RequirementServiceStub(channel("requirement", "quality-engineer"))
    too_big = expect_error(grpc.StatusCode.INVALID_ARGUMENT, customers.ListCustomers,
                           requirement_pb2.ListCustomersRequest(page_size=501))
    check(too_big.details().startswith("page_size"), f"does not name page_size: {too_big.details()}")
    bad_code = expect_error(grpc.StatusCode.INVALID_ARGUMENT, customers.CreateCustomer,
                            requirement_pb2.CreateCustomerRequest(code="not a code!", name="x", industry=requirement_pb2.INDUSTRY_OTHER))
    check(bad_code.details().startswith("code"), f"does not name code: {bad_code.details()}")
    unknown = f"NO-SUCH-{RUN}"
    missing = expect_error(grpc.StatusCode.NOT_FOUND, customers.GetCustomer, requirement_pb2.GetCustomerRequest(code=unknown))
    check(unknown in missing.details(), f"does not name {unknown}: {missing.details()}")
    operator = requirement_pb2_grpc.RequirementServiceStub(channel("requirement", "operator"))
    denied = expect_error(grpc.StatusCode.PERMISSION_DENIED, operator.CreateCustomer,
                          requirement_pb2.CreateCustomerRequest(code=unknown, name="x", industry=requirement_pb2.INDUSTRY_OTHER))
    check("quality-engineer" in denied.details(), f"does not name the role needed: {denied.details()}")
    return f"{too_big.details()!r}; {bad_code.details()!r}; {missing.details()!r}; {denied.details()!r}"


def blocked_batch():
    """An open batch of the demo that cannot be released yet, or a new one that cannot be."""
    batches = batch_pb2_grpc.BatchServiceStub(channel("batch", "quality-engineer"))
    # The first page of A's batches is enough here: when it has none to refuse, we make one.
    for batch in batches.ListBatches(batch_pb2.ListBatchesRequest(customer="A"), timeout=DEADLINE_SECONDS).batches:
        if batch.status == batch_pb2.BATCH_STATUS_OPEN:
            report = batches.Compliance(batch_pb2.BatchRequest(number=batch.number), timeout=DEADLINE_SECONDS)
            if not report.releasable:
                return batch.number
    # Customer A requires a signed certificate of analysis (CSR-AUTO-0847): a new batch has none.
    created = batches.CreateBatch(
        batch_pb2.CreateBatchRequest(number=f"PARTNER-{RUN}", product="FAST-M8-12.9", customer="A",
                                     manufacture_date="2025-03-20", quantity=10),
        timeout=DEADLINE_SECONDS, metadata=metadata(new_request_id("create-batch"), str(uuid.uuid4())))
    return created.number


def signed_manifest(target, digest, meaning, signer, printed_name):
    """docs/SIGNATURES.md: seven lines, each ending in \\n, signed with ECDSA P-256 / SHA-256
    (DER) by the signer's own signing key (not their TLS key)."""
    signed_at = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    manifest = (f"conform-signature/1\ntarget: {target}\ndigest: {digest}\nmeaning: {meaning}\n"
                f"signer: {signer}\nprinted-name: {printed_name}\nsigned-at: {signed_at}\n")
    with open(os.path.join(ARGS.tls_dir, f"{signer}-signing-key.pem"), "rb") as f:
        key = serialization.load_pem_private_key(f.read(), password=None)
    return manifest, key.sign(manifest.encode("utf-8"), ec.ECDSA(hashes.SHA256()))


def step_refused_release():
    """f. Refused release: FAILED_PRECONDITION with google.rpc.Status details."""
    number = blocked_batch()
    batches = batch_pb2_grpc.BatchServiceStub(channel("batch", "quality-manager"))
    evidence = evidence_pb2_grpc.EvidenceServiceStub(channel("evidence", "quality-manager"))
    batch = batches.GetBatch(batch_pb2.BatchRequest(number=number), timeout=DEADLINE_SECONDS)
    me = evidence.GetSignatory(evidence_pb2.GetSignatoryRequest(principal="quality-manager"), timeout=DEADLINE_SECONDS)
    manifest, signature = signed_manifest(f"batch:{batch.number}", batch.record_digest, "approved",
                                          me.principal, me.printed_name)
    state["release_request_id"] = new_request_id("release")
    error = expect_error(grpc.StatusCode.FAILED_PRECONDITION, batches.Release,
                         batch_pb2.ReleaseRequest(number=number, manifest=manifest, signature=signature),
                         metadata=metadata(state["release_request_id"], str(uuid.uuid4())))
    # The standard rich error model: a google.rpc.Status in the grpc-status-details-bin trailer.
    status = rpc_status.from_call(error)
    check(status is not None, "no google.rpc.Status details (grpc-status-details-bin) on the refusal")
    info, failure, report = error_details_pb2.ErrorInfo(), error_details_pb2.PreconditionFailure(), batch_pb2.ComplianceReport()
    found = set()
    for detail in status.details:  # each a google.protobuf.Any
        for message in (info, failure, report):
            if detail.Is(message.DESCRIPTOR):
                detail.Unpack(message)
                found.add(message.DESCRIPTOR.name)
    check(found == {"ErrorInfo", "PreconditionFailure", "ComplianceReport"},
          f"details hold {[detail.type_url for detail in status.details]}; want ErrorInfo, PreconditionFailure, ComplianceReport")
    check(info.reason == "RELEASE_BLOCKED" and info.domain == "conform.batch.v1" and info.metadata["batch"] == number,
          f"ErrorInfo {info}")
    check(report.batch == number and not report.releasable, f"ComplianceReport for {report.batch}, releasable {report.releasable}")
    unmet = {f"requirement:{r.customer}/{r.requirement_id} v{r.version}" for r in report.requirements
             if r.state == batch_pb2.REQUIREMENT_STATE_UNSATISFIED
             and r.strength == requirement_pb2.REQUIREMENT_STRENGTH_MANDATORY}
    violations = {v.subject for v in failure.violations}
    check(failure.violations and violations == unmet | {f"lot:{lot}" for lot in report.blocked_lots},
          f"violations {sorted(violations)} != unmet mandatory requirements and blocked lots {sorted(unmet)} {list(report.blocked_lots)}")
    lines = [f"{number} refused: {info.reason}, {len(failure.violations)} violation(s), report releasable={report.releasable}"]
    lines += [f"    {v.type} {v.subject}: {v.description}" for v in failure.violations]
    return "\n".join(lines)


def audit_entries(service, request_id):
    trail = audit_pb2_grpc.AuditTrailStub(channel(service, "auditor"))
    # A call's entry is durable before its answer; the sealer chains it a moment later, so
    # ask for unsealed entries too.
    return trail.ListEntries(audit_pb2.ListAuditEntriesRequest(request_id=request_id, include_unsealed=True, limit=100),
                             timeout=DEADLINE_SECONDS).entries


def describe(entry):
    return f"{entry.action.split('/')[-1]} {audit_pb2.AuditOutcome.Name(entry.outcome).removeprefix('AUDIT_OUTCOME_')} {entry.object}".strip()


def step_audit():
    """g. Audit trail: the entries of our calls, found by the x-request-id they carried."""
    check("create_request_id" in state, "needs the idempotency step's write")
    created = audit_entries("requirement", state["create_request_id"])
    outcomes = {(e.action, e.outcome, e.principal) for e in created}
    action = "conform.requirement.v1.RequirementService/CreateCustomer"
    check((action, audit_pb2.AUDIT_OUTCOME_SUCCEEDED, "quality-engineer") in outcomes, f"no succeeded call entry: {created}")
    check(any(e.outcome == audit_pb2.AUDIT_OUTCOME_WRITE and e.object == f"customer:{state['customer_code']}" for e in created),
          f"no write entry for customer:{state['customer_code']}: {created}")
    retried = audit_entries("requirement", state["retry_request_id"])
    check([e.outcome for e in retried] == [audit_pb2.AUDIT_OUTCOME_SUCCEEDED],
          f"the replayed retry should leave its call entry and no write: {[describe(e) for e in retried]}")
    parts = [f"{state['create_request_id']}: {'; '.join(describe(e) for e in created)}",
             f"retry: {'; '.join(describe(e) for e in retried)}"]
    if "release_request_id" in state:
        released = audit_entries("batch", state["release_request_id"])
        refused = [e for e in released if e.outcome == audit_pb2.AUDIT_OUTCOME_REFUSED]
        check(refused and '"FAILED_PRECONDITION"' in refused[0].detail_json,
              f"no refused Release entry: {[describe(e) for e in released]}")
        parts.append(f"release: {'; '.join(describe(e) for e in released)}")
    return " | ".join(parts)


def step_event_feed():
    """h. Event feed: subscribe to the requirement service's feed until our customer's event arrives."""
    check("customer_code" in state, "needs the idempotency step's write")
    feed = events_pb2_grpc.EventFeedStub(channel("requirement", "auditor"))
    subject = f"customer:{state['customer_code']}"
    # A consumer would pass the cursor of the last event it processed; "" reads from the start.
    # Without stop_at_end the stream stays open for new events: stop when ours arrives.
    stream = feed.Subscribe(events_pb2.SubscribeRequest(after_cursor=""), timeout=DEADLINE_SECONDS)
    read = 0
    try:
        for event in stream:
            read += 1
            if event.type == "customer.created" and event.subject == subject:
                check(event.service == "requirement" and state["customer_code"] in event.payload_json, f"event {event}")
                return f"{read} event(s) read; {event.type} {event.subject} at cursor {event.cursor}"
    finally:
        stream.cancel()
    raise Failure(f"the feed ended after {read} events without {subject}")


STEPS = [step_health, step_reflection, step_paging, step_customer_scope, step_idempotent_write,
         step_idempotency_misuse, step_errors, step_refused_release, step_audit, step_event_feed]


def main():
    print(f"run {RUN} against {ARGS.host} (HTTP/2 ports {', '.join(str(getattr(ARGS, s + '_port')) for s in PORTS)})")
    passed = failed = 0
    for step in STEPS:
        title = step.__doc__.split(":")[0]
        try:
            detail = step()
            passed += 1
            print(f"PASS {title}: {detail}")
        except Failure as failure:
            failed += 1
            print(f"FAIL {title}: {failure}")
        except grpc.RpcError as error:
            failed += 1
            print(f"FAIL {title}: unexpected {error.code().name}: {error.details()}")
        except OSError as error:  # e.g. a certificate or signing key missing from --tls-dir
            failed += 1
            print(f"FAIL {title}: {error}")
        except Exception:  # a bug in the example itself: show it whole
            failed += 1
            print(f"FAIL {title}: {traceback.format_exc()}")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
