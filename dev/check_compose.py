"""Checks Compose/docker-compose.yml the way `docker compose config` would, without Docker.

1. Variables are interpolated from Compose/.env.example (as `--env-file` would supply them),
   then the file is validated against the compose specification (PyPI's compose-spec), which
   reports errors with their path, line and column.
2. What the specification cannot see: every long-running service has a healthcheck and a
   restart policy (one-shot jobs have restart "no"), no secret is written in the file, and only
   the documented ports are published, and every service is told where each peer it asks
   answers (CONFORM_<PEER>_ADDRESS; without it a service asks 127.0.0.1, itself, in a container).
"""
import pathlib
import re
import sys

import yaml  # PyYAML, installed with compose-spec's checker by dev/check-compose.sh
from compose_spec import PyCompose

ROOT = pathlib.Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "Compose" / "docker-compose.yml"
ENV = ROOT / "Compose" / ".env.example"
DOCUMENTED_PORTS = {str(port) for port in list(range(7101, 7106)) + list(range(7201, 7206))}
SECRET_NAME = re.compile(r"(PASSWORD|SECRET|TOKEN|PRIVATE_?KEY|API_?KEY)", re.IGNORECASE)
VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")


PEER_LIST = re.compile(r"(?:peers:|\[PeerService\] =)\s*\[([^\]]*)\]")


def service_peers():
    """Each service's peers, as its ServiceDefinition in Services/ declares them."""
    peers = {}
    for definition in (ROOT / "Services").glob("*/Service/*ServiceDefinition.swift"):
        service = definition.parent.parent.name.lower()
        text = definition.read_text()
        found = PEER_LIST.search(text)
        if found is None and "peers:" in text:
            raise SystemExit(f"check-compose: cannot read the peers in {definition.relative_to(ROOT)}; teach PEER_LIST its form")
        peers[service] = re.findall(r"\.([a-z]+)", found.group(1)) if found else []
    return peers


def load_env(path):
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            values[key.strip()] = value.strip()
    return values


def interpolate(text, env):
    problems = []

    def replace(match):
        name, operator, argument = match.group(1), match.group(2), match.group(3)
        if name in env and (env[name] != "" or operator not in (":-", ":?")):
            return env[name]
        if operator in ("-", ":-"):
            return argument
        if operator in ("?", ":?"):
            problems.append(f"variable {name} is required: {argument}")
            return ""
        problems.append(f"variable {name} is not set in {ENV.name} and has no default")
        return ""

    return VARIABLE.sub(replace, text), problems


def check_rules(document, peers):
    problems = []
    services = document.get("services", {})
    for name, service in services.items():
        restart = service.get("restart")
        if restart is None:
            problems.append(f"services.{name}: no restart policy (use unless-stopped, or \"no\" for a one-shot job)")
        one_shot = str(restart) == "no"
        if not one_shot and "healthcheck" not in service:
            problems.append(f"services.{name}: no healthcheck")
        environment = service.get("environment", {})
        if isinstance(environment, list):
            environment = dict(item.split("=", 1) if "=" in item else (item, None) for item in environment)
        for key, value in environment.items():
            if SECRET_NAME.search(key) and not key.endswith("_FILE"):
                problems.append(f"services.{name}.environment.{key}: a secret in the file; pass a file (…_FILE) or a Docker secret")
            elif value is not None and SECRET_NAME.search(str(value)) and "/" not in str(value):
                problems.append(f"services.{name}.environment.{key}: looks like a secret written in the file")
        command = service.get("command") or []
        binary = pathlib.PurePosixPath(command[0]).name if command else ""
        for peer in peers.get(binary.removeprefix("conform-"), []) if binary.startswith("conform-") else []:
            variable = f"CONFORM_{peer.upper()}_ADDRESS"
            if variable not in environment:
                problems.append(f"services.{name}.environment: no {variable}; {binary} asks the {peer} service, and without it asks 127.0.0.1")
        for port in service.get("ports", []):
            text = str(port.get("published", "")) if isinstance(port, dict) else str(port)
            published = text.split(":")[-2] if text.count(":") >= 2 else text.split(":")[0]
            if published not in DOCUMENTED_PORTS:
                problems.append(f"services.{name}.ports: {text} publishes an undocumented port (documented: 7101-7105, 7201-7205)")
    return problems


def self_test():
    """The rules must catch what they are for, or their silence proves nothing."""
    bad = {
        "services": {
            "web": {"ports": ["127.0.0.1:9999:9999"], "environment": {"DB_PASSWORD": "hunter2"}},
            "job": {"restart": "no"},
            "app": {"restart": "no", "command": ["/usr/local/bin/conform-app"]},
        }
    }
    found = check_rules(bad, {"app": ["ledger"]})
    expected = ["no restart policy", "no healthcheck", "a secret in the file", "undocumented port", "no CONFORM_LEDGER_ADDRESS"]
    missing = [what for what in expected if not any(what in problem for problem in found)]
    if missing or any("services.job" in problem for problem in found) or not service_peers().get("batch"):
        print(f"check-compose: the rules themselves are broken: missed {missing}, found {found}")
        return False
    return True


def main():
    if not self_test():
        return 2
    raw = COMPOSE.read_text()
    text, problems = interpolate(raw, load_env(ENV))
    try:
        PyCompose.from_yaml(text)
    except ValueError as error:
        problems.append(f"{COMPOSE.relative_to(ROOT)}: not valid under the compose specification: {error}")
    problems += check_rules(yaml.safe_load(text), service_peers())
    if problems:
        print(f"check-compose: {len(problems)} problem(s) in {COMPOSE.relative_to(ROOT)}:")
        for problem in problems:
            print(f"  - {problem}")
        return 1
    print(f"check-compose: {COMPOSE.relative_to(ROOT)} is valid and keeps the project's rules.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
