"""The one-click acknowledge link: signed for an incident and a person, single use, 24 hours."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest

from incidents.automatic import incident_signal_record
from incidents.choices import IncidentStatus, SignalKind
from incidents.models import Incident
from incidents.services import incident_step
from oncall.models import Notification
from tests.conftest import NOW

pytestmark = pytest.mark.django_db


@pytest.fixture
def paged(pipeline, on_call_team):
    """An automatic incident and the link in the page its assignee received."""
    incident, _ = incident_signal_record(
        pipeline=pipeline, kind=SignalKind.FAILED_RUN, key="run-failed-test", summary="run x failed", at=NOW, now=NOW
    )
    page = Notification.objects.get(kind="incidents.opened", member=incident.assignee)
    (link,) = re.findall(r"https?://\S+/incidents/ack/\S+/", page.body)
    return incident, urlsplit(link).path


def test_opening_the_link_shows_the_incident_without_signing_in_and_changes_nothing(client, paged):
    incident, path = paged
    response = client.get(path)
    html = response.content.decode()
    assert response.status_code == 200
    assert incident.title in html and f"Acknowledge as {incident.assignee.name}" in html
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.OPEN


def test_confirming_acknowledges_as_that_person_once(client, paged):
    incident, path = paged
    response = client.post(path)
    assert response.status_code == 200
    assert f"Acknowledged by {incident.assignee.name}" in response.content.decode()
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.ACKNOWLEDGED and incident.acknowledged_by == incident.assignee
    again = client.post(path)
    assert again.status_code == 410 and "used already" in again.content.decode()
    assert "used already" in client.get(path).content.decode()


def test_an_expired_link_says_so_and_changes_nothing(client, paged, clock):
    incident, path = paged
    clock.move_to(NOW + timedelta(hours=24, seconds=1))
    response = client.post(path)
    assert response.status_code == 410 and "expired" in response.content.decode()
    assert Incident.objects.get(pk=incident.pk).status == IncidentStatus.OPEN


def test_a_tampered_link_is_refused(client, paged):
    incident, path = paged
    response = client.post(path.replace("/ack/", "/ack/x"))
    assert response.status_code == 410 and "not valid" in response.content.decode()
    assert Incident.objects.get(pk=incident.pk).status == IncidentStatus.OPEN


def test_a_link_to_an_incident_someone_else_acknowledged_says_so(client, paged, manager):
    incident, path = paged
    incident_step(incident_id=incident.pk, step="acknowledge", member=manager)
    response = client.post(path)
    assert response.status_code == 410 and "already acknowledged" in response.content.decode()
