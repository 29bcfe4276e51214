#!/usr/bin/env bash
# Loads the demo scenario through the CLI, as a quality engineer would. Safe to run again:
# every write carries an idempotency key, so a second run changes nothing.
#
# Usage: dev/demo.sh PATH-TO-conform   (dev/start.sh runs it; CONFORM_TLS_DIR must be set)
set -euo pipefail
conform="${1:?usage: dev/demo.sh PATH-TO-conform}"
rules="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/demo"

# matches PATTERN: whether the input has a line matching it. Unlike grep -q it reads all of
# its input: grep -q stops at the first match, and under pipefail the writer it leaves
# behind, killed by SIGPIPE, would fail the pipeline.
matches() { grep "$@" >/dev/null; }

# add KIND CODE ARGS...: adds it unless a record with that code is already there (made by an
# earlier run, or by hand).
add() {
    local kind="$1" code="$3"
    if "$conform" "$kind" get "$code" >/dev/null 2>&1; then return 0; fi
    "$conform" "$@" >/dev/null
}

add customer add A --idempotency-key demo-customer-A --industry automotive \
    --name "Customer A (automotive OEM)" \
    --contact "Jo Park <jo.park@customer-a.example> supplier quality engineer" \
    --notes "CSR-AUTO-0847: CoA for every fastener batch (smelter date, grade, tensile, chemistry); NDT photos."
add customer add B --idempotency-key demo-customer-B --industry automotive \
    --name "Customer B (tier-1 electronics)" \
    --contact "Sam Reyes <s.reyes@customer-b.example> quality data lead" \
    --notes "CSR-B-0156 QR serialization (v2.0 wants NFC from 2025-01-01, awaiting validation); CSR-B-0892 monthly XML export."
add customer add D --idempotency-key demo-customer-D --industry medical-device \
    --name "Customer D (medical devices)" \
    --contact "Dr. Lee Chen <l.chen@customer-d.example> design quality" \
    --notes "CSR-D-0234: manufacturing records signed by a certified quality inspector (21 CFR Part 11)."

add product add ABC --idempotency-key demo-product-ABC --family BRACKETS \
    --name "Bracket assembly ABC" --description "Ordered by customers A, B and D."
add product add FAST-M8-12.9 --idempotency-key demo-product-FAST-M8 --family FASTENERS \
    --name "Hex bolt M8 property class 12.9" --description "Fasteners for customer A's sub-assemblies."
add product add SENSOR-HOUSING-7 --idempotency-key demo-product-SENSOR-7 --family HOUSINGS \
    --name "Sensor housing 7" --description "Serialized for customer B."

# link CUSTOMER PRODUCT CONTRACT: the customer orders the product, unless recorded already.
link() {
    if "$conform" customer products "$1" | matches "^$2 "; then return 0; fi
    "$conform" customer link "$1" "$2" --contract "$3" >/dev/null
}
link A ABC "PO-A-2024-118"
link B ABC "Frame agreement B-77"
link D ABC "PO-D-5531"
link A FAST-M8-12.9 "PO-A-2024-120"
link B SENSOR-HOUSING-7 "Frame agreement B-77"

# requirement CUSTOMER ID ARGS...: adds it unless the customer already has it.
requirement() {
    if "$conform" requirement get "$1" "$2" >/dev/null 2>&1; then return 0; fi
    "$conform" requirement add "$@" >/dev/null
}
requirement A CSR-AUTO-0847 --category documentation --strength mandatory --scope family:FASTENERS \
    --version 1.0 --title "Fastener material certificates" \
    --text "All fasteners in sub-assemblies must include a Certificate of Analysis attached to the batch, showing smelter production date, material grade, tensile strength test results and chemical composition." \
    --criteria "CoA in PDF, complete, all fields populated, signed by the supplier quality representative, attached before release." \
    --source-kind customer-specification --source-ref "Customer A supplier quality manual rev. C, section 4.2" \
    --received 2024-07-15 --effective 2024-08-01 --rules "$rules/csr-auto-0847-rules.json"
requirement A CSR-A-0202 --category quality --strength mandatory --scope products:ABC \
    --version 1.0 --title "NDT photographic documentation" \
    --text "Critical welds of bracket assembly ABC are inspected by NDT with photographs of every inspected area." \
    --criteria "At least 4 NDT photos per batch, taken by a certified NDT Level II technician." \
    --source-kind email --source-ref "J. Park, 'NDT evidence for ABC', 2024-07-20" --received 2024-07-20 --effective 2024-08-01 \
    --rules "$rules/csr-a-0202-rules.json"
# Customer B's requirements come from a file, as a customer's list usually does.
"$conform" requirement import "$rules/customer-b-requirements.yaml" >/dev/null
if ! "$conform" requirement get B CSR-B-0044 | matches "^Retired"; then
    "$conform" requirement retire B CSR-B-0044 --on 2025-03-01 \
        --reason "B supplier manual rev. 3 replaced paper certificates with the portal" >/dev/null
fi
requirement D CSR-D-0234 --category regulatory --strength mandatory --scope all \
    --version 1.0 --title "Certified inspector signature on manufacturing records" \
    --text "Every manufacturing record is signed electronically (21 CFR Part 11) by a certified quality inspector." \
    --criteria "Signature with printed name, time and meaning by a signer certified on the signing date." \
    --source-kind meeting --source-ref "Quality review with D, minutes 2024-09-12" --received 2024-09-12 --effective 2024-10-01 \
    --rules "$rules/csr-d-0234-rules.json"

# ---- Batches, evidence and signatures ----------------------------------------------------
tls="${CONFORM_TLS_DIR:?}"
# signer PRINCIPAL "PRINTED NAME": a signing key of their own, registered by the quality manager.
signer() {
    if [ ! -f "$tls/$1-signing-key.pem" ]; then "$conform" signatory keygen --as "$1" >/dev/null; fi
    if ! "$conform" signatory get "$1" >/dev/null 2>&1; then
        "$conform" signatory add "$1" --name "$2" --key "$tls/$1-signing-public.pem" --as quality-manager >/dev/null
    fi
}
# grant PRINCIPAL --role|--certification NAME ARGS...: once.
grant() {
    if "$conform" signatory get "$1" | matches " $3 "; then return 0; fi
    "$conform" signatory grant "$@" --as quality-manager >/dev/null
}
signer quality-manager "Dana Reyes"
signer quality-engineer "Sam Okafor"
signer inspector "Kim Lee"
grant quality-manager --role quality-manager --from 2024-01-01
grant quality-engineer --role supplier-quality-representative --from 2024-01-01
grant inspector --role inspector --from 2024-01-01
grant inspector --certification certified-quality-inspector --from 2024-06-01 --to 2027-05-31 --reference CQI-2291

# ---- Suppliers and the receiving gate -------------------------------------------------------
add supplier add HT-STEEL --idempotency-key demo-supplier-HT --name "HT Steel Wire AG" --site "Duisburg rod mill"
add supplier add ALU-NORD --idempotency-key demo-supplier-AN --name "Aluminium Nord GmbH" --site "Dortmund plant 2"
add supplier add NEW-CO --idempotency-key demo-supplier-NC --name "New Co Metals Ltd" --site "Leeds"
if ! "$conform" supplier asl | matches "^HT-STEEL "; then
    "$conform" supplier approve HT-STEEL --status approved --scope "10B21 wire rod" --from 2024-01-15 --until 2026-12-31 --as quality-manager >/dev/null
    "$conform" supplier approve ALU-NORD --status conditional --scope "6061-T6 bar" --from 2024-03-01 --until 2026-12-31 \
        --notes "first-article inspection on every lot" --as quality-manager >/dev/null
    "$conform" supplier audit HT-STEEL --date 2025-01-10 --type process --auditor "R. Auditor" --result passed --next-due 2026-01-10 >/dev/null
    "$conform" supplier audit ALU-NORD --date 2025-02-03 --type system --auditor "R. Auditor" --result passed-with-findings \
        --finding "calibration records incomplete" --next-due 2026-02-03 >/dev/null
fi
if ! "$conform" receipt get HT-2025-118 >/dev/null 2>&1; then
    "$conform" receipt record HT-2025-118 --supplier HT-STEEL --material "10B21 wire rod" --quantity "12 t" --date 2025-02-20 --as operator >/dev/null
fi
# New Co is not on the ASL: its lot is blocked, then used under a justified, signed exception.
if ! "$conform" receipt get NC-2025-007 >/dev/null 2>&1; then
    echo "Receiving lot NC-2025-007 from a supplier not on the ASL:"
    "$conform" receipt record NC-2025-007 --supplier NEW-CO --material "6061-T6 bar" --quantity "800 kg" --date 2025-03-04 --as operator | sed 's/^/  /'
    "$conform" receipt exception NC-2025-007 --as operator \
        --justification "Only 6061-T6 stock for the D prototype order; CoA and incoming tensile test IT-2025-77 passed." >/dev/null
    "$conform" receipt approve NC-2025-007 --as quality-manager | sed 's/^/  /'
fi

add order add PO-A-2024-120 --idempotency-key demo-order-A --customer A --product FAST-M8-12.9 --quantity 5000
add order add PO-D-5531 --idempotency-key demo-order-D --customer D --product ABC --quantity 200

# Customer A's fastener batch: blocked until its signed CoA and smelter date are there, then released.
if ! "$conform" batch get B-2025-0042 >/dev/null 2>&1; then
    "$conform" batch create B-2025-0042 --product FAST-M8-12.9 --customer A --date 2025-03-02 --quantity 500 \
        --order PO-A-2024-120 --idempotency-key demo-batch-B-2025-0042 >/dev/null
fi
if "$conform" batch get B-2025-0042 | matches ", open"; then
    echo "Releasing B-2025-0042 before its evidence is there is refused:"
    "$conform" batch release B-2025-0042 --as quality-manager 2>&1 | sed 's/^/  /' || true
    if ! "$conform" evidence list --batch B-2025-0042 | matches certificate-of-analysis; then
        "$conform" evidence upload "$rules/coa-B-2025-0042.pdf" --batch B-2025-0042 --document certificate-of-analysis \
            --field smelter-production-date=2025-01-03 --field material-grade=10.9 \
            --field tensile-strength="1040 MPa" --field chemical-composition="C 0.35, Mn 0.80, P 0.012" --as operator >/dev/null
    fi
    coa="$("$conform" evidence list --batch B-2025-0042 --json | sed -n 's/.*"id": *"\{0,1\}\([0-9]*\).*/\1/p' | sed -n 1p)"
    if ! "$conform" signature list "evidence:$coa" | matches approved; then
        "$conform" sign evidence "$coa" --meaning approved --as quality-engineer >/dev/null
    fi
    "$conform" batch record B-2025-0042 --field smelter-production-date=2025-01-03 >/dev/null
    echo "With the signed CoA attached and the smelter date recorded, it is released:"
    "$conform" batch release B-2025-0042 --as quality-manager | sed 's/^/  /'
fi

# Customer D's bracket batch: made from the excepted lot, its record signed by a certified
# quality inspector, then released.
if ! "$conform" batch get D-2025-0007 >/dev/null 2>&1; then
    "$conform" batch create D-2025-0007 --product ABC --customer D --date 2025-03-10 --quantity 200 \
        --order PO-D-5531 --idempotency-key demo-batch-D-2025-0007 >/dev/null
fi
if "$conform" batch get D-2025-0007 | matches ", open"; then
    if ! "$conform" batch get D-2025-0007 | matches "^Lots: "; then
        "$conform" batch consume D-2025-0007 --lot NC-2025-007 >/dev/null
    fi
    if ! "$conform" signature list batch:D-2025-0007 | matches approved; then
        "$conform" sign batch D-2025-0007 --meaning approved --as inspector >/dev/null
    fi
    "$conform" batch release D-2025-0007 --as quality-manager >/dev/null
fi

# ---- Reporting: an alert, the dashboard, an audit report, a monthly XML export -------------
state_dir="$(cd "$(dirname "$tls")" && pwd)"
# Customer A's batch made two days ago still waits for its CoA: the quality team is alerted.
recent="$(date -u -d '-2 days' +%F)"
if ! "$conform" batch get B-2026-0051 >/dev/null 2>&1; then
    "$conform" batch create B-2026-0051 --product FAST-M8-12.9 --customer A --date "$recent" --quantity 800 \
        --order PO-A-2024-120 --idempotency-key demo-batch-B-2026-0051 >/dev/null
fi
# Customer B's sensor housings, made last month, for B's monthly XML export (CSR-B-0892).
last_month="$(date -u -d "$(date -u +%Y-%m-01) -1 month" +%Y-%m)"
if ! "$conform" batch get B-2026-0063 >/dev/null 2>&1; then
    "$conform" batch create B-2026-0063 --product SENSOR-HOUSING-7 --customer B --date "$last_month-15" --quantity 120 \
        --idempotency-key demo-batch-B-2026-0063 >/dev/null
fi
"$conform" export define --customer B --name monthly-quality --schedule monthly --root QualityDataExport --record Batch \
    --field BatchNo=batch.number --field PartNo=batch.product --field ProductionDate=batch.manufacture_date \
    --field Status=batch.status --field Compliant=batch.compliant --field OpenItems=batch.missing \
    --field Documents=batch.evidence_count --as quality-engineer >/dev/null
# The read model follows the services' feeds; wait until it has seen the new batches.
for _ in $(seq 1 50); do
    if "$conform" alert list --customer A | matches "B-2026-0051" \
        && ! "$conform" reporting dashboard --customer B | matches "not evaluated yet"; then break; fi
    sleep 0.2
done
echo "Customer A's dashboard:"
"$conform" reporting dashboard --customer A | sed 's/^/  /'
echo "Open alerts for customer A:"
"$conform" alert list --customer A | sed 's/^/  /'
mkdir -p "$state_dir/reports"
"$conform" reporting audit-report --customer A --from 2025-01-01 --seed 20251 --html "$state_dir/reports/audit-A.html" --as auditor \
    | sed 's/^/  /'
export_line="$("$conform" export run --customer B --name monthly-quality --period "$last_month" --as quality-engineer)"
echo "  $export_line"
for _ in $(seq 1 50); do
    if "$conform" export deliveries --customer B | matches delivered; then break; fi
    sleep 0.2
done
echo "  delivered to $(find "$state_dir/exports/B" -name '*.xml' 2>/dev/null | sort | tr '\n' ' ')"

echo "Demo data: customers A, B, D; products ABC, FAST-M8-12.9, SENSOR-HOUSING-7; who orders what;"
echo "  requirements CSR-AUTO-0847, CSR-A-0202, CSR-B-0156 (v2.0 awaiting validation of nfc-tagging), CSR-B-0892"
echo "  (B's imported from dev/demo/customer-b-requirements.yaml), CSR-B-0044 retired from 2025-03-01, CSR-D-0234;"
echo "  signatories quality-manager, quality-engineer, inspector (certified); batches B-2025-0042 (A, released after"
echo "  its signed CoA arrived) and D-2025-0007 (D, signed by the certified inspector, released); suppliers HT-STEEL,"
echo "  ALU-NORD and NEW-CO, lot NC-2025-007 blocked at receipt and used under an approved exception;"
echo "  B-2026-0051 (A, awaiting its CoA: alerted), B-2026-0063 (B, last month: in B's monthly XML export);"
echo "  the audit report for A at $state_dir/reports/audit-A.html."
