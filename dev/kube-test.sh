#!/usr/bin/env bash
# Checks the Kubernetes manifests (Compose/kubernetes) and runs them:
#   1. renders the base and the dev overlay with `kubectl kustomize`, validates both against the
#      Kubernetes schemas (kubernetes-validate, strict), and scans them, the Dockerfile, the
#      image Containerfiles and the compose file with checkov, failing on any finding not
#      suppressed with a reason;
#   2. runs the dev overlay with `podman kube play` (dev/kube/podman-play.py says what podman
#      4.3 cannot take as written, and why): PostgreSQL, the provision Job, the five services;
#      runs every probe the manifests declare as a kubelet would (dev/kube/probes.py); loads the
#      demo and runs the partner example through the services' API ports; stops PostgreSQL and
#      sees readiness fail while liveness holds, then recover; tears everything down.
#
# Usage: dev/kube-test.sh [--validate-only]
#   CONFORM_BIN          the conform CLI for secrets, the demo and the example (default: the
#                        static release build dev/compose-test.sh made, else .build/debug)
#   CONFORM_KUBE_IMAGE   the Conform image (default localhost/conform:compose-test, which
#                        dev/compose-test.sh builds; run it first)
# Step 2 needs root and podman; it skips, saying why, only where containers cannot run.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
me="kube-test"
state="$root/.conform/kube-test"
kubernetes_version="1.33"
network="conform-kube"
conform_image="${CONFORM_KUBE_IMAGE:-localhost/conform:compose-test}"
postgres_image="localhost/conform-postgres:15"
validate_only=false
case "${1:-}" in
    --validate-only) validate_only=true ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    "") ;;
    *) echo "$me: unknown argument '$1' (see --help)" >&2; exit 2 ;;
esac

# shellcheck source=lib/harness.sh
. "$root/dev/lib/harness.sh"
work="$state/run"
rm -rf "$work" && mkdir -p "$work"
# The run's CA, keys and decoded Secrets are only ever readable by this user, and go at its end.
umask 077
trap 'rm -rf "$work/kubernetes/overlays/dev/secrets" "$work/play" "$work"/*.yaml "$work/checkov-kubernetes.json"' EXIT

# ---- tools ------------------------------------------------------------------------------
stage "tools: kubectl (kustomize), kubernetes-validate, checkov, grpcio"
command -v kubectl >/dev/null 2>&1 || fail "kubectl is missing: it renders the kustomizations (kubectl kustomize, kustomize v5)"
kubectl kustomize --help >/dev/null 2>&1 || fail "this kubectl has no 'kustomize' command: one from Kubernetes 1.27 or later is needed"
venv="$state/venv"
wanted="checkov==3.3.30 kubernetes-validate==1.37.0 grpcio==1.85.1 grpcio-health-checking==1.85.1 protobuf==7.36.2"
# shellcheck disable=SC2086 # one package a word
python_venv "$venv" "$wanted" $wanted
conform="${CONFORM_BIN:-}"
if [ -z "$conform" ]; then
    for candidate in "$root/.build-static/release/conform" "$root/.build/debug/conform"; do
        if [ -x "$candidate" ]; then conform="$candidate"; break; fi
    done
fi
[ -n "$conform" ] || fail "no conform CLI: build it (swift build) or set CONFORM_BIN"

# ---- render, validate, scan ------------------------------------------------------------------
stage "render, validate (Kubernetes $kubernetes_version schemas) and scan (checkov)"
cp -r Compose/kubernetes "$work/kubernetes"
# Secrets of the run's own, never the overlay's folder on this machine.
rm -rf "$work/kubernetes/overlays/dev/secrets"
CONFORM_BIN="$conform" dev/kube-secrets.sh "$work/kubernetes/overlays/dev/secrets" >/dev/null
kubectl kustomize "$work/kubernetes/base" >"$work/base.yaml"
kubectl kustomize "$work/kubernetes/overlays/dev" >"$work/dev.yaml"
for rendered in base dev; do
    "$venv/bin/kubernetes-validate" -k "$kubernetes_version" --strict --quiet "$work/$rendered.yaml" >"$work/validate-$rendered.txt" 2>&1 \
        || { cat "$work/validate-$rendered.txt" >&2; fail "the $rendered manifests do not validate"; }
    # An unknown kind or apiVersion is only a warning to the tool; here it is a failure.
    if grep -q . "$work/validate-$rendered.txt"; then cat "$work/validate-$rendered.txt" >&2; fail "the $rendered manifests name a kind or version Kubernetes $kubernetes_version does not have"; fi
    note "$rendered: $(grep -c '^kind:' "$work/$rendered.yaml") resources valid against Kubernetes $kubernetes_version (strict)"
done
export CKV_SKIP_PACKAGE_UPDATE_CHECK=true BC_SKIP_MAPPING=TRUE
# checkov reads only files named like a Dockerfile.
mkdir -p "$work/dockerfiles"
cp Compose/Dockerfile "$work/dockerfiles/conform.Dockerfile"
for image in Compose/images/*/; do cp "$image/Containerfile" "$work/dockerfiles/$(basename "$image").Dockerfile"; done
# scan NAME ARGS...: checkov, failing on a finding, a suppression without a reason, or nothing scanned.
scan() {
    local name="$1"; shift
    "$venv/bin/checkov" "$@" --skip-download -o json >"$work/checkov-$name.json" 2>"$work/checkov-$name.log" || true
    "$venv/bin/python" - "$work/checkov-$name.json" "$name" "${canary:-}" <<'PY'
import json, sys
path, name, canary = sys.argv[1], sys.argv[2], sys.argv[3]
# One JSON document per directory scanned, each a report, a list of them, or a bare summary.
text, decoder, reports = open(path).read(), json.JSONDecoder(), []
try:
    at = 0
    while text[at:].strip():
        at += len(text[at:]) - len(text[at:].lstrip())
        document, at = decoder.raw_decode(text, at)
        reports += document if isinstance(document, list) else [document]
except ValueError:
    sys.exit(f"kube-test: checkov ({name}) wrote no report; see {path.replace('.json', '.log')}")
if not reports:
    sys.exit(f"kube-test: checkov ({name}) wrote no report; see {path.replace('.json', '.log')}")
bad, passed, skipped, planted = [], 0, [], []
for report in reports:
    if "results" not in report:
        # A bare summary: nothing found there, or nothing scanned; the canary tells them apart.
        if canary:
            continue
        sys.exit(f"kube-test: checkov ({name}) scanned nothing")
    results = report["results"]
    passed += len(results["passed_checks"])
    failed = results["failed_checks"]
    if canary:
        planted += [c for c in failed if c["file_path"].endswith("/" + canary.split("/")[-1])]
        failed = [c for c in failed if not c["file_path"].endswith("/" + canary.split("/")[-1])]
    bad += [f"{c['check_id']} {c['check_name']}: {c['resource']} ({c['file_path']})" for c in failed]
    bad += [f"cannot parse {path}" for path in results.get("parsing_errors", [])]
    for c in results["skipped_checks"]:
        reason = c["check_result"].get("suppress_comment", "")
        if not reason or reason == "No comment provided":
            bad.append(f"{c['check_id']} suppressed without a reason: {c['resource']}")
        skipped.append(c["check_id"])
if canary and not planted:
    # The planted key proves the scan can see a secret at all; it must be all it sees.
    sys.exit(f"kube-test: checkov ({name}) did not find the key planted in {canary}: it is not scanning")
if bad:
    print("\n".join(f"kube-test: checkov ({name}): {line}" for line in bad), file=sys.stderr)
    sys.exit(1)
found = f", the planted key found" if canary else ""
print(f"kube-test: checkov ({name}): {passed} passed{found}, {len(skipped)} suppressed with reasons ({', '.join(sorted(set(skipped))) or 'none'})")
PY
}
scan kubernetes -f "$work/base.yaml" -f "$work/dev.yaml" --framework kubernetes || fail "checkov found what the manifests must not have"
scan dockerfiles -d "$work/dockerfiles" --framework dockerfile || fail "checkov found what the images must not have"
# Neither the compose file nor the manifests' sources may hold a secret (the rendered dev
# overlay does, on purpose: its generated Secrets).
# A key planted beside them shows the scan sees secrets at all (finding none says nothing).
mkdir -p "$work/canary"
canary="canary/planted.yml"
"$venv/bin/python" -c 'import secrets, string
print("environment:")
print("  AWS_ACCESS_KEY_ID: AKIA" + "".join(secrets.choice(string.ascii_uppercase + "234567") for _ in range(16)))' >"$work/$canary"
canary="$canary" scan secrets -f Compose/docker-compose.yml -d Compose/kubernetes -d "$work/canary" --framework secrets \
    || fail "checkov found a secret in the compose file or the manifests"
$validate_only && { stage "done"; note "validated in $((SECONDS - began)) s"; exit 0; }

# ---- run under podman ---------------------------------------------------------------------
stage "the dev overlay under podman kube play"
[ "$(id -u)" = 0 ] || skip "running the manifests needs root: the probes reach pods at their addresses (rootful podman)"
command -v podman >/dev/null 2>&1 || skip "podman is missing (dev/compose-test.sh installs it)"
[ -f "$root/.conform/compose-test/containers.conf" ] || skip "podman is not set up here: dev/compose-test.sh does that, and builds the images"
export CONTAINERS_CONF="$root/.conform/compose-test/containers.conf"
for image in "$conform_image" "$postgres_image"; do
    podman image exists "$image" || fail "image $image is missing: dev/compose-test.sh builds it"
done
for port in 7101 7102 7103 7104 7105 7201 7202 7203 7204 7205; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        fail "port $port is in use (dev/start.sh's demo, or a compose stack? stop it first): the pods' API ports are published there"
    fi
done
# The images this machine has, by the names the manifests use.
mkdir -p "$work/kubernetes/overlays/podman"
cat >"$work/kubernetes/overlays/podman/kustomization.yaml" <<YAML
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources: [../dev]
images:
  - name: conform
    newName: ${conform_image%:*}
    newTag: "${conform_image##*:}"
  - name: postgres
    newName: ${postgres_image%:*}
    newTag: "${postgres_image##*:}"
YAML
kubectl kustomize "$work/kubernetes/overlays/podman" >"$work/podman.yaml"
"$venv/bin/python" dev/kube/podman-play.py "$work/podman.yaml" "$work/play"
workloads="$work/play/workloads.json"
names() { "$venv/bin/python" -c "import json,sys; print(' '.join(w['name'] for w in json.load(open(sys.argv[1])) if w['kind'] == sys.argv[2]))" "$workloads" "$1"; }
volumes() { "$venv/bin/python" -c "import json,sys; print(' '.join(v for w in json.load(open(sys.argv[1])) for v in w['volumes']))" "$workloads"; }
scratch() { "$venv/bin/python" -c "import json,sys; print(' '.join(v['name'] + '=' + str(v['pages']) for w in json.load(open(sys.argv[1])) for v in w['scratch']))" "$workloads"; }
file_of() { "$venv/bin/python" -c "import json,sys; print(next(w['file'] for w in json.load(open(sys.argv[1])) if w['name'] == sys.argv[2]))" "$workloads" "$1"; }
deployments=$(names Deployment)
jobs=$(names Job)
services=""
for name in $deployments; do [ "$name" = postgres ] || services="$services $name"; done

checks=()
teardown() {
    local status=$?
    trap - EXIT
    if [ ${#checks[@]} -gt 0 ]; then kill "${checks[@]}" 2>/dev/null || true; wait 2>/dev/null || true; fi
    echo "== $me: tearing down"
    if [ "$status" != 0 ]; then
        for pod in $deployments $jobs; do
            for container in $(podman ps -a --filter "pod=$pod" --format '{{.Names}}' 2>/dev/null | grep -v -- '-infra$' || true); do
                echo "---- last lines of $container's log ----" >&2
                podman logs --tail 15 "$container" >&2 2>&1 || true
            done
        done
    fi
    for pod in $deployments $jobs; do podman pod rm -f "$pod" >/dev/null 2>&1 || true; done
    for volume in $(volumes); do podman volume rm -f "$volume" >/dev/null 2>&1 || true; done
    podman network rm -f "$network" >/dev/null 2>&1 || true
    # Keys go with the pods: the generated CA and certificates, and the Secrets rendered in clear.
    rm -rf "$work/kubernetes/overlays/dev/secrets" "$work/play" "$work"/*.yaml "$work/checkov-kubernetes.json"
    echo "$me: done in $((SECONDS - began)) s$([ "$status" = 0 ] || echo " (failed)")"
    exit "$status"
}
trap teardown EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
# What a killed run left behind.
for pod in $deployments $jobs; do podman pod rm -f "$pod" >/dev/null 2>&1 || true; done
for volume in $(volumes); do podman volume rm -f "$volume" >/dev/null 2>&1 || true; done
podman network rm -f "$network" >/dev/null 2>&1 || true
podman network create "$network" >/dev/null
# Each emptyDir, as Kubernetes makes it: empty, writable by the pod's user, of its size.
for volume in $(scratch); do
    podman volume create --opt type=tmpfs --opt device=tmpfs --opt "o=nr_blocks=${volume#*=},mode=1777" "${volume%%=*}" >/dev/null
done

play() { podman kube play --network "$network" "$(file_of "$1")" >>"$work/play.log" 2>&1 || { tail -20 "$work/play.log" >&2; fail "podman kube play of $1 failed (log: $work/play.log)"; }; }
probes() { "$venv/bin/python" dev/kube/probes.py "$workloads" "$@"; }
# job NAME: runs the Job's pod to its end; fails unless it exits 0.
job() {
    play "$1"
    local container="$1-$1" code
    code=$(timeout 300 podman wait "$container") || fail "the $1 Job did not finish within 300 s"
    [ "$code" = 0 ] || { podman logs --tail 20 "$container" >&2; fail "the $1 Job ended with exit code $code"; }
    note "Job $1 finished (exit 0)"
}

play postgres
probes up postgres
for name in $jobs; do job "$name"; done
for name in $services; do play "$name"; done
# shellcheck disable=SC2086
probes up $services
# What the pods' securityContext asks, podman does: not root, and nothing written outside volumes.
for name in $services; do
    uid=$(podman exec "$name-$name" /bin/sh -c 'id -u')
    [ "$uid" = 10001 ] || fail "$name runs as uid $uid, not 10001"
    if podman exec "$name-$name" /bin/sh -c 'touch /written' 2>/dev/null; then fail "$name could write to its root filesystem"; fi
done
note "every service runs as uid 10001 on a read-only root filesystem"

stage "the demo and the partner example through the pods' API ports"
export CONFORM_TLS_DIR="$work/kubernetes/overlays/dev/secrets/tls"
dev/demo.sh "$conform" >"$work/demo.log" 2>&1 || { tail -20 "$work/demo.log" >&2; fail "loading the demo into the pods failed"; }
dev/partner-example.sh --tls-dir "$CONFORM_TLS_DIR"

stage "readiness follows the database, liveness does not"
# The container, not its pod: the pod keeps its address, as a Service's would stay the same.
podman stop --time 10 postgres-postgres >/dev/null
for name in $services; do probes not-ready "$name" --within 120 & checks+=($!); done
for check in "${checks[@]}"; do wait "$check" || fail "a service stayed ready without its database, or was no longer alive"; done
checks=()
podman start postgres-postgres >/dev/null
probes up postgres
# shellcheck disable=SC2086
probes up $services --within 120

stage "done"
