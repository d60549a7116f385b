"""The one-click acknowledge link: signed for an incident and a person, single use, 24 hours."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.utils.html import strip_tags

from incidents.automatic import incident_signal_record
from incidents.choices import IncidentStatus, SignalKind
from incidents.models import Incident
from incidents.paging import acknowledge_urls
from incidents.services import incident_step
from oncall.models import Notification
from tests.conftest import NOW
from tests.incidents.factories import IncidentFactory
from tests.oncall.factories import TeamMemberFactory

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
    seen = client.get(path)
    assert seen.status_code == 410 and "used already" in seen.content.decode()
    assert "<button" not in seen.content.decode()


def test_an_expired_link_says_so_and_changes_nothing(client, paged, clock):
    incident, path = paged
    clock.move_to(NOW + timedelta(hours=24, seconds=1))
    for response in (client.get(path), client.post(path)):
        assert response.status_code == 410 and "expired" in response.content.decode()
    assert Incident.objects.get(pk=incident.pk).status == IncidentStatus.OPEN


def test_a_tampered_link_is_not_found(client, paged):
    incident, path = paged
    for response in (client.get(path.replace("/ack/", "/ack/x")), client.post(path.replace("/ack/", "/ack/x"))):
        assert response.status_code == 404 and "not valid" in response.content.decode()
        assert "<h1>Acknowledge an incident</h1>" in response.content.decode()  # a page with a heading still
    assert Incident.objects.get(pk=incident.pk).status == IncidentStatus.OPEN


def test_a_link_whose_incident_is_gone_is_not_found(client, paged):
    incident, path = paged
    incident.delete()
    for response in (client.get(path), client.post(path)):
        assert response.status_code == 404 and "not valid any more" in response.content.decode()


@pytest.mark.parametrize(("step", "shown"), [("acknowledge", "already acknowledged"), ("resolve", "already resolved")])
def test_a_link_to_an_incident_someone_else_handled_says_so_without_a_confirm_button(
    client, paged, manager, step, shown
):
    incident, path = paged
    incident_step(incident_id=incident.pk, step=step, member=manager)
    seen = client.get(path)
    assert seen.status_code == 200 and shown in seen.content.decode()
    assert "<button" not in seen.content.decode()
    confirmed = client.post(path)
    assert confirmed.status_code == 409 and shown in confirmed.content.decode()
    incident.refresh_from_db()
    assert incident.acknowledged_by == manager
    # The refusal did not use the link up.
    assert "used already" not in client.get(path).content.decode()


def test_the_link_pages_are_never_cached(client, paged):
    _, path = paged
    answers = (client.get(path), client.get(path.replace("/ack/", "/ack/x")), client.post(path), client.post(path))
    for response in answers:
        assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_the_link_to_a_team_level_incident_shows_it_without_a_pipeline(client):
    member = TeamMemberFactory()
    incident = IncidentFactory(pipeline=None, title="alert DiskFull firing")
    response = client.get(urlsplit(acknowledge_urls()(incident, member)).path)
    text = " ".join(strip_tags(response.content.decode()).split())
    assert response.status_code == 200 and "alert DiskFull firing" in text
    assert "Critical Open detected Wed 25 Nov 2026, 10:00 UTC." in text and " on ," not in text
