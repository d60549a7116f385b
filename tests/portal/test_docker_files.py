"""What the Docker files promise beyond what hadolint and dclint check (.ci/run runs those two).

The Compose schema cannot see cross-references; the image must stay free of the test and lint tools;
the build context must leave secrets and local state out.
"""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = r"[A-Za-z0-9][A-Za-z0-9._-]*"


def normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def compose_services():
    doc = yaml.safe_load((ROOT / "docker" / "compose.yml").read_text(encoding="utf-8"))
    return doc["services"], set(doc.get("volumes") or {})


def pins(name: str) -> dict[str, str]:
    """The `name==version` lines of a compiled lock, by normalised package name."""
    text = (ROOT / "requirements" / name).read_text(encoding="utf-8")
    return {normalised(match[1]): match[2] for match in re.finditer(rf"^({PACKAGE})==(\S+)", text, re.MULTILINE)}


def test_compose_services_wait_only_on_services_that_exist_and_report_health():
    services, _ = compose_services()
    for name, service in services.items():
        for dependency, condition in (service.get("depends_on") or {}).items():
            assert dependency in services, f"{name} depends on an undefined service {dependency}"
            if condition.get("condition") == "service_healthy":
                check = services[dependency].get("healthcheck") or {}
                assert check.get("test") and not check.get("disable"), f"{name} waits on {dependency}'s health"


def test_compose_mounts_only_declared_volumes():
    services, declared = compose_services()
    for name, service in services.items():
        for mount in service.get("volumes") or []:
            source = mount["source"] if isinstance(mount, dict) else mount.split(":", 1)[0]
            if not source.startswith(("/", ".", "~", "$")):
                assert source in declared, f"{name} mounts the undeclared volume {source}"


def test_compose_worker_can_be_scaled():
    services, _ = compose_services()
    assert "container_name" not in services["worker"], "`--scale worker=N` needs a worker without container_name"


def test_docker_build_context_leaves_out_secrets_and_local_state():
    ignored = set((ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines())
    assert {".git", ".venv", "var", ".env"} <= ignored


def test_image_lock_holds_no_development_tool():
    base = pins("base.txt")
    dev_in = (ROOT / "requirements" / "dev.in").read_text(encoding="utf-8")
    dev_only = [normalised(name) for name in re.findall(rf"^{PACKAGE}", dev_in, re.MULTILINE)]
    assert "pytest" in dev_only
    assert [name for name in dev_only if name in base] == []


def test_development_lock_pins_the_image_lock_at_the_same_versions():
    base, dev = pins("base.txt"), pins("dev.txt")
    assert {name: dev.get(name) for name in base} == base
