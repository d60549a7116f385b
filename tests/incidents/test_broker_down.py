"""The broker unreachable: an incident is stored once and answered normally, its mail sent once the broker is back;
a recomputation that cannot be queued says so. The broker is a real address nothing listens on (tests/conftest.py).
"""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from incidents.choices import Severity
from incidents.models import Incident
from oncall.choices import NotificationStatus
from oncall.models import Notification
from oncall.notifications import notifications_requeue
from sla.views import add_months, this_month

# The views' on-commit callbacks run inside the request, as in production.
pytestmark = pytest.mark.django_db(transaction=True)


def test_incident_opened_while_the_broker_is_down_is_stored_once_and_its_mail_sent_later(
    broker_down, member_client, pipeline, on_call_team
):
    detected = timezone.localtime(timezone.now() - timedelta(hours=1))
    response = member_client.post(
        "/incidents/new/",
        {
            "pipeline": pipeline.slug,
            "title": "Sales file has no header",
            "severity": Severity.CRITICAL,
            "detected_at": detected.strftime("%Y-%m-%dT%H:%M"),
        },
    )
    incident = Incident.objects.get()
    assert response.status_code == 302 and response.url == incident.get_absolute_url()
    waiting = set(Notification.objects.values_list("recipient", flat=True))
    assert len(waiting) >= 2
    assert not Notification.objects.exclude(status=NotificationStatus.PENDING).exists()
    assert not mail.outbox

    broker_down.restore()
    assert notifications_requeue(now=timezone.now()) == 0  # sent within the minute, perhaps: leave it
    assert notifications_requeue(now=timezone.now() + timedelta(seconds=61)) == len(waiting)
    assert {message.to[0] for message in mail.outbox} == waiting and len(mail.outbox) == len(waiting)
    assert set(Notification.objects.values_list("status", flat=True)) == {NotificationStatus.SENT}
    # A later sweep sends nothing twice.
    assert notifications_requeue(now=timezone.now() + timedelta(hours=1)) == 0
    assert len(mail.outbox) == len(waiting)


def test_incident_opened_through_the_api_while_the_broker_is_down_answers_201(broker_down, api, pipeline):
    response = api.post(
        "/api/incidents/",
        {"pipeline": pipeline.slug, "title": "No file", "severity": "critical"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert Incident.objects.count() == 1


def test_a_recompute_that_cannot_be_queued_says_so_on_the_month_page(broker_down, manager_client):
    month = add_months(this_month(), -1)
    response = manager_client.post(f"/sla/{month:%Y-%m}/recompute/", follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == f"/sla/{month:%Y-%m}/"
    assert "could not be queued: the job queue is unavailable" in response.content.decode()
