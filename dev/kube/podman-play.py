#!/usr/bin/env python3
"""Turns rendered Kubernetes manifests into files `podman kube play` (4.3) runs, changing only
what podman cannot take as written, each for a reason said below, and describes each workload's
probes so dev/kube-test.sh can run them as a kubelet would.

Usage: podman-play.py RENDERED.yaml OUT_DIR

Writes OUT_DIR/NN-NAME.yaml (one pod each: the database first, then Jobs, then the services)
and OUT_DIR/workloads.json. What podman 4.3 lacks, and what is done about it:
- Services, NetworkPolicies, HPAs, PDBs, Namespaces, ServiceAccounts: not run (podman skips
  them); kubernetes-validate and checkov check them. On podman's network a pod's name is its
  DNS name, so each Deployment runs as one Pod named after it, as its Service would be reached.
- Jobs: run as a Pod with restartPolicy Never; the harness waits for its exit code.
- Secrets: podman 4.3 crashes on secret volumes without `optional`, writes base64 text with it,
  ignores items, and cannot use in-file Secrets in env (podman issues 16636, 16269). Each Secret
  becomes a ConfigMap of its decoded data, and each secret or projected volume a configMap volume.
- containerPort: podman publishes every one on the host. Only the API ports (wire, grpc) are
  kept, standing in for a port-forward; probes and metrics are reached at the pod's address.
- emptyDir: podman makes a root-owned volume that a non-root container cannot write (Kubernetes
  makes it world-writable), named after the volume and shared by every pod using that name.
  Each becomes a claim on a tmpfs volume of that name, mode 1777 and the emptyDir's size, which
  the harness creates (workloads.json "scratch") and removes.
- PersistentVolumeClaims: podman makes the volume from the claim's name; a claim in the file
  fails a second play ("volume already exists").
- initContainers: podman runs them "once" and then removes them, which 4.3 tries while they still
  run ("cannot remove container ... as it is running"); its annotation makes them "always".
- lifecycle hooks: podman 4.3 has none; the services' preStop pause is left out.
- Probes: podman turns exec and tcpSocket liveness probes into healthchecks run by systemd,
  which is absent; it ignores the others. They are removed here and run by the harness.
"""
import base64
import json
import os
import sys

import yaml


def main():
    rendered, out = sys.argv[1], sys.argv[2]
    documents = [d for d in yaml.safe_load_all(open(rendered)) if d]
    config_maps = {d["metadata"]["name"]: d for d in documents if d["kind"] == "ConfigMap"}
    secrets = {}
    for d in documents:
        if d["kind"] == "Secret":
            data = {k: base64.b64decode(v).decode("utf-8") for k, v in (d.get("data") or {}).items()}
            data.update(d.get("stringData") or {})
            secrets[d["metadata"]["name"]] = data

    workloads = []
    for d in documents:
        if d["kind"] == "Deployment":
            replicas = d["spec"].get("replicas", 1)
            if replicas != 1:
                sys.exit(f"podman-play: {d['metadata']['name']} asks for {replicas} replicas; render the single-replica dev overlay")
            workloads.append(("Deployment", d["metadata"]["name"], d["spec"]["template"]))
        elif d["kind"] == "Job":
            workloads.append(("Job", d["metadata"]["name"], d["spec"]["template"]))

    def order(workload):
        kind, name, template = workload
        labels = template["metadata"].get("labels", {})
        if labels.get("conform.dev/database-client") != "true" and kind == "Deployment":
            return 0  # the database: nothing else labelled so may reach it, it reaches nothing
        return 1 if kind == "Job" else 2

    workloads.sort(key=order)
    os.makedirs(out, exist_ok=True)
    described = []
    for index, (kind, name, template) in enumerate(workloads):
        spec = json.loads(json.dumps(template["spec"]))
        extra_maps = {}
        scratch = []
        for volume in spec.get("volumes", []):
            if "emptyDir" in volume:
                size = volume.pop("emptyDir").get("sizeLimit", "64Mi")
                pages = int(size[:-2]) * {"Mi": 256, "Gi": 262144}[size[-2:]]  # of 4 KiB
                scratch.append({"name": volume["name"], "pages": pages})
                volume["persistentVolumeClaim"] = {"claimName": volume["name"]}
            elif "secret" in volume:
                source = volume.pop("secret")
                secret_name = source["secretName"]
                if secret_name not in secrets:
                    sys.exit(f"podman-play: {name} mounts Secret {secret_name}, which the manifests do not define")
                extra_maps[secret_name] = secrets[secret_name]
                volume["configMap"] = {"name": secret_name}
                if "items" in source:
                    volume["configMap"]["items"] = source["items"]
            elif "projected" in volume:
                data = {}
                for part in volume.pop("projected")["sources"]:
                    source = part.get("secret") or part.get("configMap")
                    values = secrets.get(source["name"]) if "secret" in part else config_maps[source["name"]]["data"]
                    if values is None:
                        sys.exit(f"podman-play: {name} projects {source['name']}, which the manifests do not define")
                    for item in source.get("items") or [{"key": k, "path": k} for k in values]:
                        data[item["path"]] = values[item["key"]]
                map_name = f"{name}-{volume['name']}"
                extra_maps[map_name] = data
                volume["configMap"] = {"name": map_name}
        probes = []
        for container in spec.get("initContainers", []) + spec["containers"]:
            container["ports"] = [p for p in container.get("ports", []) if p.get("name") in ("wire", "grpc")]
            if not container["ports"]:
                del container["ports"]
            container.pop("lifecycle", None)
            found = {which: container.pop(f"{which}Probe") for which in ("startup", "readiness", "liveness") if f"{which}Probe" in container}
            if found:
                probes.append({"container": container["name"], **found})
        if kind == "Job":
            spec["restartPolicy"] = "Never"
        metadata = {"name": name, "labels": template["metadata"].get("labels", {})}
        if spec.get("initContainers"):
            metadata["annotations"] = {"io.podman.annotations.init.container.type": "always"}
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec}
        used = {}
        for container in spec.get("initContainers", []) + spec["containers"]:
            for source in container.get("envFrom", []):
                if "configMapRef" in source:
                    used[source["configMapRef"]["name"]] = config_maps[source["configMapRef"]["name"]]["data"]
            for variable in container.get("env", []):
                reference = variable.get("valueFrom", {}).get("configMapKeyRef")
                if reference:
                    used[reference["name"]] = config_maps[reference["name"]]["data"]
        for volume in spec.get("volumes", []):
            if "configMap" in volume and volume["configMap"]["name"] in config_maps:
                used[volume["configMap"]["name"]] = config_maps[volume["configMap"]["name"]]["data"]
        used.update(extra_maps)
        documents_out = [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": n}, "data": data} for n, data in used.items()]
        documents_out.append(pod)
        file = os.path.join(out, f"{index:02d}-{name}.yaml")
        with open(file, "w") as handle:
            yaml.safe_dump_all(documents_out, handle, sort_keys=False)
        described.append({
            "kind": kind,
            "name": name,
            "file": file,
            "containers": [c["name"] for c in spec["containers"]],
            # podman keeps every volume it made (claims, and a copy of each ConfigMap it mounts,
            # secrets included): the harness removes them.
            "volumes": [v["persistentVolumeClaim"]["claimName"] for v in spec.get("volumes", []) if "persistentVolumeClaim" in v]
            + [v["configMap"]["name"] for v in spec.get("volumes", []) if "configMap" in v],
            "scratch": scratch,
            "probes": probes,
        })
    with open(os.path.join(out, "workloads.json"), "w") as handle:
        json.dump(described, handle, indent=2)


if __name__ == "__main__":
    main()
