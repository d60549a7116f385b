"""Chat channels: every page is also posted, through the outbox, to the matching Slack, Teams or webhook channel."""

import html
from dataclasses import replace
from io import StringIO

import pytest
from django.core.management import call_command
from hypothesis import given
from hypothesis import strategies as st
from rest_framework.test import APIClient

from incidents.api.serializers import url_without_secrets
from incidents.automatic import incident_signal_record
from incidents.chat_messages import ChatPage, slack_payload, slack_text, teams_payload, webhook_payload
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
    # Pending, with the error: the outbox sweeper tries again (tests/oncall/test_chat_retries.py).
    assert message.status == "pending" and message.attempts == 1 and "503" in message.last_error
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
        ("https://hooks.slack.com/services/T0ABC/B0DEF/s3cretT0ken", "https://hooks.slack.com/"),
        ("https://prod-12.westeurope.logic.azure.com:443/workflows/abc/triggers?sig=s3cret", "https://prod-12.westeurope.logic.azure.com:443/"),
        ("https://user:password@chat.example.com/hooks/1", "https://chat.example.com/"),
        ("http://127.0.0.1:8065/hooks/abc", "http://127.0.0.1:8065/"),
        ("http://[::1]:8065/hooks/abc", "http://[::1]:8065/"),
    ],
)  # fmt: skip
def test_a_channel_url_without_its_secrets_keeps_only_where_it_goes(url, shown):
    assert url_without_secrets(url) == shown


URL = "https://ops.example.com/incidents/7/"
HOSTILE = ChatPage(
    event="incident-7-opened",
    title="<!channel> rows > 0 | check",
    text="see <https://evil.example.com|runbook> & call *now*",
    url=URL,
    pipeline="[x](https://evil.example.com)",
    incident_id=7,
    severity="Critical",
    status="Open",
    assignee="Jane <@U123> Doe_",
    acknowledge_url="https://ops.example.com/incidents/ack/t0ken/",
)


def test_slack_payload_shows_user_text_as_text_without_mentions_or_fake_links():
    payload = slack_payload(HOSTILE)
    section, context, _ = payload["blocks"]
    assert section["text"]["text"] == (
        f"*<{URL}|&lt;!channel&gt; rows &gt; 0 | check>*\nsee &lt;https://evil.example.com|runbook&gt; &amp; call *now*"
    )
    assert context["elements"][0]["text"] == (
        "Critical · Open · [x](https://evil.example.com) · on call: Jane &lt;@U123&gt; Doe_"
    )
    assert payload["text"] == (
        "&lt;!channel&gt; rows &gt; 0 | check: see &lt;https://evil.example.com|runbook&gt; &amp; call *now*"
    )


def test_slack_payload_cuts_long_texts_to_slacks_limits():
    page = ChatPage(
        event="e",
        title="Delay: " + "p" * 200,
        text="Downstream: " + "team & partner, " * 400,
        url=URL,
        pipeline="p" * 200,
        severity="Critical",
        assignee="n" * 150,
        acknowledge_url="https://ops.example.com/incidents/ack/t0ken/",
    )
    payload = slack_payload(page)
    section, context, actions = payload["blocks"]
    assert len(section["text"]["text"]) <= 3000 and section["text"]["text"].endswith("…")
    assert section["text"]["text"].startswith(f"*<{URL}|Delay: {'p' * 200}>*\nDownstream: team &amp; partner")
    assert len(context["elements"][0]["text"]) <= 3000
    assert len(payload["text"]) <= 4000 and payload["text"].endswith("…")
    assert [button["text"]["text"] for button in actions["elements"]] == ["Open", "Acknowledge"]
    assert slack_payload(HOSTILE)["blocks"][-1]["elements"][1]["text"]["text"] == "Acknowledge as Jane <@U123> Doe_"


@given(value=st.text(alphabet="ab&<>…", max_size=60), limit=st.integers(1, 40))
def test_slack_text_fits_its_limit_and_never_cuts_an_escape_in_half(value, limit):
    escaped = html.escape(value, quote=False)
    text = slack_text(value, limit)
    if len(escaped) <= limit:
        assert text == escaped
    else:
        kept = text.removesuffix("…")
        assert len(text) <= limit and text.endswith("…") and escaped.startswith(kept)
        assert html.escape(html.unescape(kept), quote=False) == kept  # whole escapes only


def test_teams_card_shows_user_text_without_markdown_links():
    card = teams_payload(HOSTILE)["attachments"][0]["content"]
    title, text, facts = card["body"]
    assert title["text"] == HOSTILE.title and text["text"] == HOSTILE.text  # no link syntax: shown as written
    assert {fact["title"]: fact["value"] for fact in facts["facts"]} == {
        "Pipeline": "[x]\u200b(https://evil.example.com)",  # a zero-width space: read alike, no longer a link
        "Severity": "Critical",
        "Status": "Open",
        "On call": "Jane <@U123> Doe_",
    }
    titled = teams_payload(replace(HOSTILE, title="Rows low: see [runbook](https://evil.example.com)"))
    assert titled["attachments"][0]["content"]["body"][0]["text"] == (
        "Rows low: see [runbook]\u200b(https://evil.example.com)"
    )


def test_webhook_payload_keeps_the_text_as_it_is():
    payload = webhook_payload(HOSTILE)
    assert payload["title"] == HOSTILE.title and payload["text"] == HOSTILE.text
    assert payload["pipeline"] == HOSTILE.pipeline and payload["assignee"] == HOSTILE.assignee
