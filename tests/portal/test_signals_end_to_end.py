"""End to end: a failed run posted by a pipeline reaches people by email and chat through a real Celery
worker (on Redis when REDIS_URL is set), with a local HTTP receiver standing in for Slack and Teams."""

from io import StringIO

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from incidents.models import ChatChannel, Incident
from oncall.choices import NotificationStatus
from oncall.models import ChatMessage, Notification
from tests.chat_receiver import chat_receiver
from tests.pipelines.factories import PipelineFactory
from tests.portal.test_celery_worker import wait_for, worker  # noqa: F401 (the worker fixture)

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def test_a_failed_run_pages_email_slack_and_teams_through_a_real_worker(worker, on_call_team):  # noqa: F811
    pipeline = PipelineFactory(slug="profit-pipeline", name="Profit Pipeline")
    out = StringIO()
    call_command("create_service_token", "airflow", stdout=out)
    service = APIClient()
    service.credentials(HTTP_AUTHORIZATION=f"Token {out.getvalue().split(': ')[1].strip()}")
    with chat_receiver() as slack, chat_receiver() as teams:
        ChatChannel.objects.create(name="#data-alerts", kind="slack", url=slack.url("/services/T0/B0/x"))
        ChatChannel.objects.create(name="Data team", kind="teams", url=teams.url("/workflows/run"), pipeline=pipeline)
        response = service.post(
            "/api/runs/",
            {
                "pipeline": pipeline.slug,
                "external_id": "manual__2026-11-25",
                "scheduled_for": "2026-11-25T06:00:00Z",
                "started_at": "2026-11-25T06:00:00Z",
                "finished_at": "2026-11-25T06:20:00Z",
                "status": "failed",
            },
            format="json",
        )
        assert response.status_code == 201, response.json()
        incident = Incident.objects.get()
        assert wait_for(lambda: len(slack.received) == 1 and len(teams.received) == 1), "no chat message arrived"
        assert wait_for(lambda: not Notification.objects.exclude(status=NotificationStatus.SENT).exists())
    path, body = slack.received[0]
    assert path == "/services/T0/B0/x" and incident.title in body["text"]
    acknowledge = body["blocks"][-1]["elements"][1]
    assert acknowledge["text"]["text"] == f"Acknowledge as {incident.assignee.name}"
    assert "/incidents/ack/" in acknowledge["url"]
    path, body = teams.received[0]
    assert path == "/workflows/run"
    assert body["attachments"][0]["content"]["body"][0]["text"].endswith(incident.title)
    assert set(ChatMessage.objects.values_list("status", flat=True)) == {NotificationStatus.SENT}
    mails = [p.read_text() for p in worker.glob("*.log")]
    assert mails and all("/incidents/ack/" in mail for mail in mails)
