"""The incident page shows its signals and where each page went; the board marks automatic incidents."""

from datetime import UTC, datetime

import pytest

from incidents.models import ChatChannel
from oncall.models import ChatMessage
from pipelines.services import run_upsert
from tests.pipelines.factories import PipelineFactory

pytestmark = pytest.mark.django_db

TUESDAY = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)


def failed(pipeline, external_id):
    values = {"scheduled_for": TUESDAY, "finished_at": TUESDAY.replace(hour=7), "status": "failed"}
    return run_upsert(pipeline=pipeline, external_id=external_id, values=values)[0]


def test_the_incident_page_lists_its_signals_and_every_page_sent(member_client, pipeline, on_call_team):
    ChatChannel.objects.create(name="#data-alerts", kind="slack", url="http://127.0.0.1:9/hook")
    failed(pipeline, "run-a")
    failed(pipeline, "run-b")
    incident = pipeline.incidents.get()
    html = member_client.get(incident.get_absolute_url()).content.decode()
    assert "2 signals opened or joined it" in html
    assert "run run-a failed" in html and "run run-b failed" in html
    assert f"{incident.assignee.name} (email)" in html
    assert "#data-alerts (chat)" in html


def test_the_incident_page_says_why_a_page_is_still_pending(member_client, pipeline, on_call_team):
    ChatChannel.objects.create(name="#data-alerts", kind="slack", url="http://127.0.0.1:9/hook")
    failed(pipeline, "run-a")
    incident = pipeline.incidents.get()
    ChatMessage.objects.update(attempts=2, last_error="HTTPError: HTTP Error 503: Service Unavailable")
    html = member_client.get(incident.get_absolute_url()).content.decode()
    assert "Tried 2 times, tries again: HTTPError: HTTP Error 503: Service Unavailable" in html
    ChatMessage.objects.update(status="failed", last_error="Gave up after 9 attempts. HTTPError: HTTP Error 503")
    html = member_client.get(incident.get_absolute_url()).content.decode()
    assert "Gave up after 9 attempts. HTTPError: HTTP Error 503" in html and "tries again" not in html


def test_the_board_marks_pipelines_with_an_open_automatic_incident_and_those_without_runs(member_client, pipeline):
    quiet = PipelineFactory(name="Quiet pipeline")
    failed(pipeline, "run-a")
    incident = pipeline.incidents.get()
    html = member_client.get("/").content.decode()
    board = html[html.index("board-heading") :]
    assert f"incident #{incident.pk} open" in board
    row = board[board.index(quiet.name) :]
    assert "no runs received" in row[: row.index("</tr>")]
    assert board.count("no runs received") == 1
