"""Chat channels: every page is also posted, through the outbox, to the matching Slack, Teams or webhook channel."""

from io import StringIO

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from incidents.api.serializers import url_without_secrets
from incidents.automatic import incident_signal_record
from incidents.choices import SignalKind
from incidents.models import ChatChannel
from oncall.chat import ChatDeliveryFailed, chat_message_deliver
from oncall.models import ChatMessage
from tests.chat_receiver import chat_receiver
from tests.conftest import NOW
from tests.pipelines.factories import PipelineFactory

pytestmark = pytest.mark.django_db


def open_incident(pipeline, key="run-failed-1"):
    return incident_signal_record(
        pipeline=pipeline, kind=SignalKind.FAILED_RUN, key=key, summary="run 1 failed", at=NOW, now=NOW
    )[0]


def test_an_opened_incident_is_posted_once_to_each_matching_channel_in_its_format(
    pipeline, on_call_team, django_capture_on_commit_callbacks
):
    slack = ChatChannel.objects.create(name="#data-alerts", kind="slack", url="http://127.0.0.1:9/slack")
    teams = ChatChannel.objects.create(
        name="Data team", kind="teams", url="http://127.0.0.1:9/teams", pipeline=pipeline
    )
    hook = ChatChannel.objects.create(name="Status page", kind="webhook", url="http://127.0.0.1:9/hook")
    ChatChannel.objects.create(name="Off", kind="slack", url="http://127.0.0.1:9/off", active=False)
    ChatChannel.objects.create(name="Other", kind="slack", url="http://127.0.0.1:9/x", pipeline=PipelineFactory())
    with django_capture_on_commit_callbacks() as callbacks:
        incident = open_incident(pipeline)
    messages = {m.destination: m for m in ChatMessage.objects.all()}
    assert set(messages) == {slack.name, teams.name, hook.name}
    # Nothing is posted inside the transaction: the posting waits for the commit.
    assert callbacks and {m.status for m in messages.values()} == {"pending"}
    slack_body = messages[slack.name].payload
    assert "run 1 failed" in slack_body["text"]
    buttons = slack_body["blocks"][-1]["elements"]
    assert buttons[1]["text"]["text"] == f"Acknowledge as {incident.assignee.name}"
    assert "/incidents/ack/" in buttons[1]["url"]
    card = messages[teams.name].payload["attachments"][0]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert card["content"]["type"] == "AdaptiveCard" and card["content"]["body"][0]["text"].endswith("run 1 failed")
    assert messages[hook.name].payload["incident_id"] == incident.pk
    assert messages[hook.name].payload["severity"] == "Critical"
    # The same event again posts nothing more; a joining failure is not a new page.
    open_incident(pipeline, key="run-failed-2")
    assert ChatMessage.objects.count() == 3


def test_a_channel_that_is_down_keeps_its_message_for_the_retry():
    with chat_receiver(status=503) as down:
        message = ChatMessage.objects.create(key="e:c", kind="k", destination="d", url=down.url(), payload={"a": 1})
        with pytest.raises(ChatDeliveryFailed):
            chat_message_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert message.status == "failed" and message.attempts == 1 and "503" in message.last_error
    with chat_receiver() as up:
        ChatMessage.objects.filter(pk=message.pk).update(url=up.url())
        assert chat_message_deliver(message_id=message.pk)
        assert not chat_message_deliver(message_id=message.pk)  # posted once
        assert up.received == [("/hook", {"a": 1})]
    message.refresh_from_db()
    assert message.status == "sent" and message.attempts == 2


def test_managers_manage_channels_through_the_api_and_others_only_read(manager_api, api, pipeline):
    created = manager_api.post(
        "/api/channels/",
        {"name": "#profit", "kind": "teams", "url": "https://example.com/hook", "pipeline": pipeline.slug},
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert created.json() | {"id": 0} == {
        "id": 0, "name": "#profit", "kind": "teams", "url": "https://example.com/hook",
        "pipeline": pipeline.slug, "active": True,
    }  # fmt: skip
    assert manager_api.post("/api/channels/", {"name": "x", "kind": "irc", "url": "https://e.com"}).status_code == 400
    # A webhook URL is a credential: members see where a channel posts, not the URL itself.
    assert api.get("/api/channels/").json()["results"][0] | {"id": 0} == created.json() | {
        "id": 0, "url": "https://example.com/",
    }  # fmt: skip
    assert manager_api.get(f"/api/channels/{created.json()['id']}/").json()["url"] == "https://example.com/hook"
    assert api.patch(f"/api/channels/{created.json()['id']}/", {"active": False}).status_code == 403
    out = StringIO()
    call_command("create_service_token", "airflow", stdout=out)
    service = APIClient()
    service.credentials(HTTP_AUTHORIZATION=f"Token {out.getvalue().split(': ')[1].strip()}")
    assert service.get("/api/channels/").status_code == 403


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://hooks.slack.com/services/T000/B000/XXXX", "https://hooks.slack.com/"),
        ("https://prod-12.westeurope.logic.azure.com:443/workflows/abc/triggers?sig=s3cret", "https://prod-12.westeurope.logic.azure.com:443/"),
        ("https://user:password@chat.example.com/hooks/1", "https://chat.example.com/"),
        ("http://127.0.0.1:8065/hooks/abc", "http://127.0.0.1:8065/"),
        ("http://[::1]:8065/hooks/abc", "http://[::1]:8065/"),
    ],
)  # fmt: skip
def test_a_channel_url_without_its_secrets_keeps_only_where_it_goes(url, shown):
    assert url_without_secrets(url) == shown
