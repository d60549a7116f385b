"""The real Prometheus Alertmanager, configured with the README's webhook block, pages the live portal:
a firing alert opens the pipeline's incident and its resolution resolves it."""

import json
import re
import shutil
import socket
import subprocess
import time
import urllib.request
from datetime import datetime, timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from incidents.choices import IncidentStatus
from incidents.models import Incident

pytestmark = [pytest.mark.alertmanager, pytest.mark.django_db(transaction=True)]

ALERTMANAGER = shutil.which("prometheus-alertmanager") or "/usr/bin/prometheus-alertmanager"
README = Path(__file__).resolve().parent.parent.parent / "README.md"


def readme_webhook_block() -> str:
    """The `alertmanager.yml` receivers block the README documents."""
    section = README.read_text().split("### Monitoring alerts", 1)[1]
    return re.search(r"```yaml\n(.*?)```", section, re.S).group(1)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def http(method: str, url: str, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read() or b"null")


@pytest.fixture
def alertmanager(tmp_path, live_server):
    if not Path(ALERTMANAGER).exists():
        pytest.fail(f"Alertmanager is not installed at {ALERTMANAGER} (apt-get install prometheus-alertmanager)")
    out = StringIO()
    call_command("create_service_token", "alertmanager", stdout=out)
    token = out.getvalue().split(": ")[1].strip()
    receivers = (
        readme_webhook_block().replace("http://127.0.0.1:8000", live_server.url).replace("<service token>", token)
    )
    config = tmp_path / "alertmanager.yml"
    config.write_text(
        "global:\n  resolve_timeout: 5m\n"
        "route:\n  receiver: pipeline-portal\n  group_by: [alertname, pipeline]\n"
        "  group_wait: 1s\n  group_interval: 1s\n  repeat_interval: 1h\n" + receivers
    )
    port = free_port()
    process = subprocess.Popen(
        [
            ALERTMANAGER,
            f"--config.file={config}",
            f"--storage.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
        ],  # fmt: skip
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "alertmanager.log").open("w"),
    )
    base = f"http://127.0.0.1:{port}"

    def ready():
        try:
            return urllib.request.urlopen(f"{base}/-/ready", timeout=1).status == 200
        except OSError:
            return False

    try:
        assert wait_for(ready), "Alertmanager did not start"
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def test_alertmanager_firing_opens_the_incident_and_resolved_closes_it(alertmanager, pipeline):
    # Alertmanager keeps real time while the portal's clock is the suite's: its own start time is the reference.
    started = datetime.fromisoformat(http("GET", f"{alertmanager}/api/v2/status")["uptime"].replace("Z", "+00:00"))
    alert = {
        "labels": {"alertname": "ProfitRowsLow", "pipeline": pipeline.slug, "severity": "critical"},
        "annotations": {"summary": "rows below expectation"},
        "startsAt": (started + timedelta(milliseconds=100)).isoformat(),
        "endsAt": (started + timedelta(hours=1)).isoformat(),
    }
    http("POST", f"{alertmanager}/api/v2/alerts", [alert])
    assert wait_for(lambda: Incident.objects.filter(pipeline=pipeline).exists()), "no incident was opened"
    incident = Incident.objects.get()
    assert incident.severity == "critical" and incident.status == IncidentStatus.OPEN
    assert incident.title == "alert ProfitRowsLow firing: rows below expectation"

    time.sleep(0.5)
    http(
        "POST",
        f"{alertmanager}/api/v2/alerts",
        [alert | {"endsAt": (started + timedelta(milliseconds=300)).isoformat()}],
    )
    assert wait_for(lambda: Incident.objects.get().status == IncidentStatus.RESOLVED), "the incident stayed open"
    assert Incident.objects.get().notes.filter(text="recovered: alert ProfitRowsLow resolved").exists()
