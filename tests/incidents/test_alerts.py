"""Monitoring alerts in: Alertmanager's webhook (version 4) opens, joins and resolves incidents."""

import pytest
from rest_framework.test import APIClient

from incidents.choices import IncidentStatus, SignalKind
from incidents.models import Incident
from tests.conftest import NOW

from .test_automatic import record

pytestmark = pytest.mark.django_db

URL = "/api/alerts/alertmanager/"


def alert(status="firing", fingerprint="a1", starts="2026-11-25T11:50:00.123456789Z", **labels):
    return {
        "status": status,
        "labels": {"alertname": "ProfitRowsLow", **labels},
        "annotations": {"summary": "rows below expectation"},
        "startsAt": starts,
        "endsAt": "2026-11-25T11:58:00Z" if status == "resolved" else "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus/graph",
        "fingerprint": fingerprint,
    }


def webhook(*alerts, status="firing"):
    return {
        "version": "4",
        "groupKey": '{}:{alertname="ProfitRowsLow"}',
        "truncatedAlerts": 0,
        "status": status,
        "receiver": "portal",
        "groupLabels": {"alertname": "ProfitRowsLow"},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager:9093",
        "alerts": list(alerts),
    }


def test_a_firing_alert_opens_its_pipelines_incident_and_its_resolution_resolves_it(service, pipeline):
    response = service.post(URL, webhook(alert(pipeline=pipeline.slug, severity="warning")), format="json")
    assert response.status_code == 200, response.json()
    assert response.json() == {"opened": 1, "joined": 0, "resolved": 0, "unchanged": 0}
    incident = Incident.objects.get()
    assert incident.pipeline == pipeline and incident.severity == "major" and incident.automatic
    assert incident.title == "alert ProfitRowsLow firing: rows below expectation"
    assert incident.signals.get().kind == SignalKind.ALERT
    # Alertmanager repeats a firing alert: nothing changes.
    assert service.post(URL, webhook(alert(pipeline=pipeline.slug)), format="json").json()["unchanged"] == 1
    resolved = webhook(alert("resolved", pipeline=pipeline.slug), status="resolved")
    assert service.post(URL, resolved, format="json").json()["resolved"] == 1
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED
    assert incident.resolved_at == NOW.replace(hour=11, minute=58)


def test_alerts_join_the_pipelines_open_incident_and_severity_follows_the_label(service, pipeline):
    first = alert(pipeline=pipeline.slug, severity="critical")
    second = alert(pipeline=pipeline.slug, severity="info", fingerprint="b2")
    assert service.post(URL, webhook(first, second), format="json").json()["joined"] == 1
    incident = Incident.objects.get()
    assert incident.severity == "critical" and incident.signal_count == 2
    # The joining alert resolving does not resolve the incident the first one opened.
    assert service.post(URL, webhook(alert("resolved", fingerprint="b2", pipeline=pipeline.slug)), format="json")
    assert Incident.objects.get().status == IncidentStatus.OPEN


def test_alerts_without_a_known_pipeline_open_a_team_level_incident(service, manager, member_client):
    body = webhook(alert(fingerprint="x"), alert(fingerprint="y", pipeline="no-such-pipeline", severity="info"))
    response = service.post(URL, body, format="json")
    assert response.status_code == 200
    incident = Incident.objects.get()
    assert incident.pipeline is None and incident.severity == "minor" and incident.signal_count == 2
    assert "unknown pipeline “no-such-pipeline”" in incident.notes.last().text
    for page in (incident.get_absolute_url(), "/incidents/", "/"):
        response = member_client.get(page)
        assert response.status_code == 200 and incident.title in response.content.decode()


def test_malformed_payloads_are_400_and_only_services_and_managers_post(service, api, manager_api):
    assert service.post(URL, {"version": "3", "alerts": []}, format="json").status_code == 400
    assert service.post(URL, {"version": "4", "alerts": [{"status": "odd"}]}, format="json").status_code == 400
    assert api.post(URL, webhook(), format="json").status_code == 403
    assert manager_api.post(URL, webhook(), format="json").status_code == 200
    assert APIClient().post(URL, webhook(), format="json").status_code == 401
    assert service.get("/api/incidents/").status_code == 403  # a service token posts runs and alerts, nothing else


def test_an_alert_resolving_leaves_open_an_incident_a_failed_run_joined(service, pipeline):
    service.post(URL, webhook(alert(pipeline=pipeline.slug, severity="info")), format="json")
    record(pipeline, "run-1", "failed", NOW.replace(hour=6))
    resolved = service.post(URL, webhook(alert("resolved", pipeline=pipeline.slug)), format="json").json()
    assert resolved["resolved"] == 0
    incident = Incident.objects.get()
    assert incident.status == IncidentStatus.OPEN  # the pipeline is still failing
    assert incident.notes.last().text == "alert ProfitRowsLow resolved; still open for the failed run"


def test_an_incident_of_several_alerts_is_resolved_when_the_last_of_them_resolves(service, pipeline):
    service.post(
        URL, webhook(alert(pipeline=pipeline.slug), alert(fingerprint="b2", pipeline=pipeline.slug)), format="json"
    )
    service.post(URL, webhook(alert("resolved", pipeline=pipeline.slug)), format="json")
    assert Incident.objects.get().status == IncidentStatus.OPEN
    assert (
        service.post(URL, webhook(alert("resolved", fingerprint="b2", pipeline=pipeline.slug)), format="json").json()[
            "resolved"
        ]
        == 1
    )
    assert Incident.objects.get().status == IncidentStatus.RESOLVED


def test_a_long_annotation_or_fingerprint_is_recorded_cut_and_counts_once(service, pipeline):
    long = alert(pipeline=pipeline.slug, fingerprint="f" * 300)
    long["annotations"] = {"summary": "rows below expectation " * 300}
    for _ in range(2):  # Alertmanager repeats a firing alert
        response = service.post(URL, webhook(long), format="json")
        assert response.status_code == 200, response.content
    incident = Incident.objects.get()
    assert incident.signal_count == 1 and len(incident.title) <= 200 and incident.title.endswith("…")
    resolved = {**long, "status": "resolved", "endsAt": "2026-11-25T11:58:00Z"}
    assert service.post(URL, webhook(resolved), format="json").json()["resolved"] == 1
