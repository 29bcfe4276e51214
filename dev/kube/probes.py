#!/usr/bin/env python3
"""Runs the probes the manifests declare against pods that `podman kube play` started, as a
kubelet would (podman 4.3 runs none of them): gRPC probes over plaintext HTTP/2 with
grpc.health.v1, exec probes in the container, tcpSocket probes by connecting.

Usage: probes.py WORKLOADS.json up NAME...         startup, then liveness and readiness pass
       probes.py WORKLOADS.json not-ready NAME...  readiness fails while liveness passes
  --within SECONDS  how long to wait for that (default 180)
"""
import argparse
import json
import socket
import subprocess
import sys
import time

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc


def pod_address(container):
    out = subprocess.run(
        ["podman", "inspect", "--format", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", container],
        capture_output=True, text=True,
    )
    return out.stdout.strip() if out.returncode == 0 else ""


def running(container):
    out = subprocess.run(["podman", "inspect", "--format", "{{.State.Status}}", container], capture_output=True, text=True)
    return out.stdout.strip()


def run_probe(probe, container, address):
    """True when the probe passes, else a short reason."""
    timeout = probe.get("timeoutSeconds", 1)
    if "grpc" in probe:
        target = f"{address}:{probe['grpc']['port']}"
        with grpc.insecure_channel(target) as channel:
            try:
                answer = health_pb2_grpc.HealthStub(channel).Check(
                    health_pb2.HealthCheckRequest(service=probe["grpc"].get("service", "")), timeout=timeout
                )
            except grpc.RpcError as error:
                return f"grpc {target}: {error.code().name}"
        status = health_pb2.HealthCheckResponse.ServingStatus.Name(answer.status)
        return True if status == "SERVING" else f"grpc {target}: {status}"
    if "exec" in probe:
        try:
            done = subprocess.run(["podman", "exec", container] + probe["exec"]["command"], capture_output=True, timeout=timeout + 5)
        except subprocess.TimeoutExpired:
            return "exec: timed out"
        return True if done.returncode == 0 else f"exec: exit {done.returncode}"
    if "tcpSocket" in probe:
        try:
            socket.create_connection((address, probe["tcpSocket"]["port"]), timeout=timeout).close()
            return True
        except OSError as error:
            return f"tcp: {error}"
    return f"unsupported probe {sorted(probe)}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("workloads")
    parser.add_argument("mode", choices=["up", "not-ready"])
    parser.add_argument("names", nargs="+")
    parser.add_argument("--within", type=float, default=180)
    args = parser.parse_args()
    workloads = {w["name"]: w for w in json.load(open(args.workloads))}
    checks = []
    for name in args.names:
        for probes in workloads[name]["probes"]:
            checks.append((name, f"{name}-{probes['container']}", probes))
    if not checks:
        sys.exit(f"probes: {', '.join(args.names)} declare no probes")
    deadline = time.monotonic() + args.within
    began = time.monotonic()
    for name, container, probes in checks:
        started = probes.get("startup") is None
        ready_failures = 0
        live_failures = 0
        live_checked = float("-inf")
        last = ""
        while True:
            if time.monotonic() > deadline:
                sys.exit(f"probes: {name} not {'ready' if args.mode == 'up' else 'unready'} within {args.within:.0f} s; last: {last}")
            state = running(container)
            if state != "running":
                sys.exit(f"probes: {container} is {state or 'missing'}")
            address = pod_address(container)
            if not started:
                result = run_probe(probes["startup"], container, address)
                started = result is True
                last = "startup: " + ("passed" if started else result)
                if not started:
                    time.sleep(probes["startup"].get("periodSeconds", 10))
                    continue
            liveness = probes.get("liveness")
            if liveness and time.monotonic() - live_checked >= liveness.get("periodSeconds", 10):
                live_checked = time.monotonic()
                result = run_probe(liveness, container, address)
                live_failures = 0 if result is True else live_failures + 1
                if live_failures >= liveness.get("failureThreshold", 3):
                    # A kubelet would restart the container now; here that is a failure.
                    sys.exit(f"probes: {name} failed its liveness probe {live_failures} times in a row: {result}")
            ready = run_probe(probes["readiness"], container, address) if "readiness" in probes else True
            last = "readiness: " + ("passed" if ready is True else ready)
            if args.mode == "up" and ready is True:
                break
            if args.mode == "not-ready":
                ready_failures = 0 if ready is True else ready_failures + 1
                if ready_failures >= probes.get("readiness", {}).get("failureThreshold", 3):
                    break
            time.sleep(probes.get("readiness", {}).get("periodSeconds", 10) if args.mode == "not-ready" else 1)
        print(f"probes: {name}: {'ready and alive' if args.mode == 'up' else 'not ready, still alive'} ({last}) after {time.monotonic() - began:.1f} s")


if __name__ == "__main__":
    main()
