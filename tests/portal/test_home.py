import re
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents.board import delivery_board
from pipelines.models import Run, SlaPolicy
from tests.incidents.factories import IncidentFactory
from tests.pipelines.factories import PipelineFactory

pytestmark = pytest.mark.django_db

WEDNESDAY = datetime(2026, 11, 25, tzinfo=UTC)


def delivered(pipeline, hour, minute=0, status="success"):
    Run.objects.create(
        pipeline=pipeline,
        external_id=f"{pipeline.slug}-{hour}-{status}",
        scheduled_for=WEDNESDAY.replace(hour=6),
        status=status,
        finished_at=WEDNESDAY.replace(hour=hour, minute=minute),
        data_available_at=WEDNESDAY.replace(hour=hour, minute=minute),
    )


def test_board_counts_every_pipeline_and_lists_those_that_need_attention():
    on_time, exactly, late, failed, nothing = (PipelineFactory(name=n) for n in "ABCDE")
    delivered(on_time, 7, 30)
    delivered(exactly, 8, 0)
    delivered(late, 9, 15)
    delivered(failed, 7, 0, status="failed")
    board = delivery_board(now=WEDNESDAY.replace(hour=10))
    assert board.deadline == WEDNESDAY.replace(hour=8) and board.business_day
    assert board.counts == {"on time": 2, "waiting": 0, "late": 1, "missing": 2}
    assert {row.pipeline.name: (row.state, row.has_runs) for row in board.rows} == {
        "C": ("late", True),
        "D": ("missing", True),
        "E": ("missing", False),
    }
    early = delivery_board(now=WEDNESDAY.replace(hour=7, minute=45))
    assert early.counts == {"on time": 1, "waiting": 4, "late": 0, "missing": 0}
    # Before the deadline only the pipeline that never posted a run needs a look.
    assert {row.pipeline.name: (row.state, row.has_runs) for row in early.rows} == {"E": ("waiting", False)}


def test_a_pipeline_with_an_open_automatic_incident_stays_on_the_board():
    fine = PipelineFactory(name="Fine")
    delivered(fine, 7, 30)
    incident = IncidentFactory(pipeline=fine, automatic=True)
    board = delivery_board(now=WEDNESDAY.replace(hour=10))
    assert [(row.pipeline.name, row.state, row.automatic_incident_id) for row in board.rows] == [
        ("Fine", "on time", incident.pk)
    ]


def test_the_board_reads_the_same_queries_for_4_or_40_pipelines():
    SlaPolicy.current()  # stored once, before either count
    counts = []
    for size in (4, 40):
        PipelineFactory.create_batch(size - len(counts) * 4)
        with CaptureQueriesContext(connection) as queries:
            board = delivery_board(now=WEDNESDAY.replace(hour=10))
        assert board.counts["missing"] == size and len(board.rows) == size
        counts.append(len(queries))
    assert counts[0] == counts[1]


def open_incident_rows(html: str) -> set[tuple[str, str, str]]:
    """The open incidents table's rows: the incident's link and title, and its pipeline."""
    return set(re.findall(r'<tr>\s*<td><a href="([^"]+)">([^<]+)</a></td>\s*<td>([^<]+)</td>', html))


def board_rows(html: str) -> dict[str, str]:
    """The delivery board's rows: each pipeline's name and its primary owner (the row's last cell)."""
    return dict(
        re.findall(
            r'<th scope="row"><a href="/runbooks/[^"]+">([^<]+)</a>(?:(?!</tr>).)*<td>([^<]*)</td>\s*</tr>', html, re.S
        )
    )


def test_home_lists_open_incidents_and_keeps_a_flat_query_count(member_client, django_assert_max_num_queries):
    def shown(incidents) -> set[tuple[str, str, str]]:
        return {(incident.get_absolute_url(), incident.title, incident.pipeline.name) for incident in incidents}

    def owners(pipelines) -> dict[str, str]:
        return {pipeline.name: pipeline.primary_owner.name for pipeline in pipelines}

    incidents = [IncidentFactory(title="Profit file late")]
    pipelines = [incidents[0].pipeline, *PipelineFactory.create_batch(2)]
    with CaptureQueriesContext(connection) as few:
        html = member_client.get("/").content.decode()
    assert incidents[0].title in html and "UTC board" in html
    assert open_incident_rows(html) == shown(incidents) and board_rows(html) == owners(pipelines)
    pipelines += PipelineFactory.create_batch(10)
    incidents += IncidentFactory.create_batch(5)
    pipelines += [incident.pipeline for incident in incidents[1:]]
    with django_assert_max_num_queries(len(few)):
        html = member_client.get("/").content.decode()
    assert open_incident_rows(html) == shown(incidents) and board_rows(html) == owners(pipelines)


def test_board_reads_the_deadline_in_the_policys_zone(member_client, clock):
    SlaPolicy.objects.update_or_create(pk=SlaPolicy.current().pk, defaults={"deadline_timezone": "Europe/Paris"})
    early, late, nothing = (PipelineFactory(name=n) for n in "ABC")
    delivered(early, 6, 45)
    delivered(late, 7, 15)  # before 08:00 UTC, after 08:00 in Paris (07:00 UTC in winter)
    board = delivery_board(now=WEDNESDAY.replace(hour=7, minute=30))
    assert board.deadline == WEDNESDAY.replace(hour=7) and board.deadline.strftime("%H:%M %Z") == "08:00 CET"
    assert board.business_day and board.counts == {"on time": 1, "waiting": 0, "late": 1, "missing": 1}
    assert {row.pipeline.name: row.state for row in board.rows} == {"B": "late", "C": "missing"}
    clock.move_to(WEDNESDAY.replace(hour=7, minute=30))
    html = member_client.get("/").content.decode()
    assert "Today's 08:00 CET board" in html and "08:15 CET" in html
