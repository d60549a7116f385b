"""The lists that grow without bound read one page through an index, whatever the filter: the real SQL of each
`/api/runs/`, `/api/notifications/` and `/api/incidents/` request, explained by PostgreSQL over enough rows that a scan would show."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents.choices import IncidentStatus, Severity
from incidents.models import Incident
from oncall.choices import NotificationStatus
from oncall.models import Notification
from pipelines.choices import RunStatus
from pipelines.models import Run
from tests.oncall.factories import TeamMemberFactory
from tests.pipelines.factories import PipelineFactory
from tests.races import postgresql_only

pytestmark = [postgresql_only, pytest.mark.django_db]

ROWS = 6000
START = datetime(2026, 11, 25, 6, tzinfo=UTC)


def plans(client, url: str, query: dict, table: str) -> list[str]:
    """EXPLAIN of every query the request ran against `table`, one text plan each."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, query)
    assert response.status_code == 200, response.json()
    explained = []
    with connection.cursor() as cursor:
        for query_run in captured.captured_queries:
            if re.search(rf'\bFROM "{table}"', query_run["sql"]):
                cursor.execute(f"EXPLAIN {query_run['sql']}")
                explained.append("\n".join(row[0] for row in cursor.fetchall()))
    assert explained, f"no query on {table}"
    return explained


def assert_read_through_an_index(plan: str, table: str, index: str | None = None) -> None:
    assert f"Seq Scan on {table}" not in plan, plan
    assert re.search(r"Index (Only )?Scan|Bitmap Index Scan", plan), plan
    if index:
        assert index in plan, plan


def assert_no_full_sort(plan: str) -> None:
    """A page in index order: at most an incremental sort of rows already in `scheduled_for` / `created_at` order."""
    assert not re.search(r"(^|->  )Sort\b", plan, re.MULTILINE), plan


def analyze(table: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f'ANALYZE "{table}"')


@pytest.fixture
def many_runs():
    pipelines = PipelineFactory.create_batch(20)
    runs = []
    for i in range(ROWS):
        scheduled = START - timedelta(hours=i // 2)
        failed = i % 40 == 0  # failures are the rare rows people filter for
        runs.append(
            Run(
                pipeline=pipelines[i % 20],
                external_id=f"bulk-{i}",
                scheduled_for=scheduled,
                status=RunStatus.FAILED if failed else RunStatus.SUCCESS,
                finished_at=None if failed else scheduled + timedelta(hours=1),
            )
        )
    Run.objects.bulk_create(runs, batch_size=2000)
    analyze("pipelines_run")
    return pipelines


@pytest.mark.parametrize(
    ("query", "index"),
    [
        ({}, "pipelines_run_scheduled_id"),
        ({"status": "failed"}, "pipelines_run_status_sched"),
        ({"scheduled_after": "2026-11-20T00:00:00Z"}, "pipelines_run_scheduled_id"),
        ({"scheduled_before": "2026-10-01T00:00:00Z"}, "pipelines_run_scheduled_id"),
        ({"pipeline": "PIPELINE"}, "pipelines_run_pipeline_sched"),
    ],
)
def test_runs_list_reads_a_page_through_an_index(api, many_runs, query, index):
    if query.get("pipeline"):
        query = {"pipeline": many_runs[0].slug}
    (plan,) = plans(api, "/api/runs/", query, "pipelines_run")
    assert_read_through_an_index(plan, "pipelines_run", index)
    assert_no_full_sort(plan)


def test_runs_list_next_page_reads_through_the_index(api, many_runs):
    first = api.get("/api/runs/").json()
    (plan,) = plans(api, first["next"], {}, "pipelines_run")
    assert_read_through_an_index(plan, "pipelines_run", "pipelines_run_scheduled_id")
    assert_no_full_sort(plan)


@pytest.fixture
def many_notifications(member):
    others = TeamMemberFactory.create_batch(20)
    kinds = ["oncall.block-reminder", "incidents.opened", "sla.escalation", "oncall.trade"]
    notifications = []
    for i in range(ROWS):
        recipient = others[i % 20] if i % 500 else member  # a member has few of the many messages
        status = NotificationStatus.FAILED if i % 50 == 0 else NotificationStatus.SENT
        notifications.append(
            Notification(
                key=f"bulk-{i}",
                kind=kinds[0] if i % 100 else kinds[1 + i % 3],
                recipient=recipient.email,
                member=recipient if i % 1000 else None,  # some recorded before the address was linked
                subject="Reminder",
                body="…",
                status=status,
                sent_at=START if status == NotificationStatus.SENT else None,
            )
        )
    Notification.objects.bulk_create(notifications, batch_size=2000)
    # `created_at` is set on save to the frozen clock: spread them over time as real ones are.
    with connection.cursor() as cursor:
        cursor.execute("UPDATE oncall_notification SET created_at = %s - id * interval '1 minute'", [START])
    analyze("oncall_notification")


@pytest.mark.parametrize(
    ("query", "index"),
    [
        ({}, "oncall_notif_created_id"),
        ({"kind": "incidents.opened"}, "oncall_notif_kind_created"),
        ({"kind": "oncall.block-reminder"}, None),
        ({"status": "failed"}, "oncall_notif_status_created"),
    ],
)
def test_notifications_list_reads_a_page_through_an_index(manager_api, many_notifications, query, index):
    (plan,) = plans(manager_api, "/api/notifications/", query, "oncall_notification")
    assert_read_through_an_index(plan, "oncall_notification", index)
    assert_no_full_sort(plan)


def test_a_members_notifications_are_found_through_their_indexes(api, many_notifications):
    # Theirs by member or by address: both indexed, so only their few rows are read (and sorted), not the others.
    (plan,) = plans(api, "/api/notifications/", {}, "oncall_notification")
    assert_read_through_an_index(plan, "oncall_notification")
    assert "oncall_notif_member_created" in plan and "oncall_notif_recipient_created" in plan, plan


@pytest.fixture
def many_incidents():
    pipelines = PipelineFactory.create_batch(20)
    incidents = []
    for i in range(ROWS):
        detected = START - timedelta(hours=i)
        # Most incidents are long resolved; the few still open are what people look for.
        status = [IncidentStatus.OPEN, IncidentStatus.ACKNOWLEDGED][i % 2] if i % 100 == 0 else IncidentStatus.RESOLVED
        acknowledged = None if status == IncidentStatus.OPEN else detected + timedelta(minutes=10)
        incidents.append(
            Incident(
                pipeline=pipelines[i % 20],
                title=f"Incident {i}",
                severity=Severity.CRITICAL if i % 30 == 0 else Severity.MINOR,
                status=status,
                detected_at=detected,
                acknowledged_at=acknowledged,
                resolved_at=detected + timedelta(hours=1) if status == IncidentStatus.RESOLVED else None,
            )
        )
    Incident.objects.bulk_create(incidents, batch_size=2000)
    analyze("incidents_incident")
    return pipelines


@pytest.mark.parametrize(
    ("query", "index", "few"),
    [
        ({}, "incidents_inc_detected_id", False),
        ({"status": "open"}, "incidents_i", True),  # any index by status, or the unresolved ones: a few rows
        ({"status": "acknowledged"}, "incidents_inc_status_det", True),
        ({"status": "resolved"}, None, False),  # nearly all of them: newest first, skipping the few open
        ({"severity": "critical"}, "incidents_inc_severity_det", False),
        ({"unresolved": "true"}, "incidents_inc_unresolved_det", True),
        ({"unresolved": "false"}, None, False),
        ({"month": "2026-06"}, "incidents_inc_detected_id", False),
        ({"pipeline": "PIPELINE"}, "incidents_i_pipelin_", False),
    ],
)
def test_incidents_list_reads_a_page_through_an_index(api, many_incidents, query, index, few):
    if query.get("pipeline"):
        query = {"pipeline": many_incidents[0].slug}
    (plan,) = plans(api, "/api/incidents/", query, "incidents_incident")
    assert_read_through_an_index(plan, "incidents_incident", index)
    if few:
        # The still-open incidents are a handful of the thousands: the planner may sort those few, read by index.
        assert re.search(r"Index Scan( Backward)? using \S+ on incidents_incident .*rows=\d{1,2} ", plan), plan
    else:
        assert_no_full_sort(plan)


def test_incidents_list_next_page_reads_through_the_index(api, many_incidents):
    # Unfiltered, so thousands of rows follow the cursor: a sort would show. (Past the cursor, the 200 critical
    # incidents are few enough that the planner may fairly sort them.)
    first = api.get("/api/incidents/").json()
    (plan,) = plans(api, first["next"], {}, "incidents_incident")
    assert_read_through_an_index(plan, "incidents_incident", "incidents_inc_detected_id")
    assert_no_full_sort(plan)


@pytest.mark.parametrize("page", [1, 3])
def test_the_incidents_page_lists_open_incidents_first_through_an_index(member_client, many_incidents, page):
    """`/incidents/` keeps its open-first order (`open_first()`), served by the expression index, not a sort."""
    response = member_client.get("/incidents/", {"page": page})
    listed = list(response.context["page_obj"])
    assert all(incident.status != IncidentStatus.RESOLVED for incident in listed) if page == 1 else listed
    (plan,) = [
        plan for plan in plans(member_client, "/incidents/", {"page": page}, "incidents_incident") if "Limit" in plan
    ]
    assert_read_through_an_index(plan, "incidents_incident", "incidents_inc_open_first")
    assert_no_full_sort(plan)
