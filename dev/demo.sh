#!/usr/bin/env bash
# Loads the demo scenario through the CLI, as a quality engineer would. Safe to run again:
# every write carries an idempotency key, so a second run changes nothing.
#
# Usage: dev/demo.sh PATH-TO-conform   (dev/start.sh runs it; CONFORM_TLS_DIR must be set)
set -euo pipefail
conform="${1:?usage: dev/demo.sh PATH-TO-conform}"

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

echo "Demo data: customers A, B, D; products ABC, FAST-M8-12.9, SENSOR-HOUSING-7."
