"""Signals to incidents: failed runs open or join one incident per pipeline, and recovery resolves it."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incidents.automatic import alert_severity, incident_signal_record, recovers, run_signal_record
from incidents.choices import IncidentStatus, SignalKind
from incidents.models import ChatChannel, Incident
from oncall.models import ChatMessage, Notification
from pipelines.models import Ownership
from pipelines.services import run_upsert
from tests.incidents.factories import IncidentFactory
from tests.pipelines.factories import PipelineFactory, RunFactory

pytestmark = pytest.mark.django_db

TUESDAY = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)


def post_run(client, pipeline, external_id, status, scheduled_for=TUESDAY, **extra):
    finished = None if status == "running" else scheduled_for + timedelta(minutes=40)
    payload = {
        "pipeline": pipeline.slug,
        "external_id": external_id,
        "scheduled_for": scheduled_for.isoformat(),
        "started_at": scheduled_for.isoformat(),
        "finished_at": finished.isoformat() if finished else None,
        "status": status,
    } | extra
    response = client.post("/api/runs/", payload, format="json")
    assert response.status_code in (200, 201), response.json()
    return response


def record(pipeline, external_id, status, scheduled_for=TUESDAY):
    finished = None if status == "running" else scheduled_for + timedelta(minutes=40)
    values = {"scheduled_for": scheduled_for, "started_at": scheduled_for, "finished_at": finished, "status": status}
    return run_upsert(pipeline=pipeline, external_id=external_id, values=values)[0]


def test_a_failed_run_posted_by_a_service_opens_a_critical_incident_for_the_on_call_member(
    service, pipeline, on_call_team, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks():
        post_run(service, pipeline, "run-1", "failed")
    incident = Incident.objects.get()
    on_call = on_call_team.shifts.covering(TUESDAY + timedelta(minutes=40)).get().member
    assert incident.automatic and incident.pipeline == pipeline
    assert incident.severity == "critical"  # the pipeline feeds a critical downstream team
    assert incident.assignee == on_call and incident.status == IncidentStatus.OPEN
    assert incident.detected_at == TUESDAY + timedelta(minutes=40)
    assert [s.kind for s in incident.signals.all()] == [SignalKind.FAILED_RUN]
    page = Notification.objects.get(kind="incidents.opened", member=on_call)
    assert "run run-1 failed" in page.subject and "/incidents/ack/" in page.body


@pytest.mark.parametrize("downstream, channels", [(0, 1), (6, 3)])
def test_a_failed_run_posted_costs_the_same_queries_and_one_hand_over_per_outbox_however_many_are_told(
    downstream, channels, service, pipeline, on_call_team, django_assert_num_queries, django_capture_on_commit_callbacks
):
    upstream = pipeline
    for _ in range(downstream):  # a chain, each with two owners of its own
        dependent = PipelineFactory()
        dependent.depends_on.add(upstream)
        upstream = dependent
    for n in range(channels):
        ChatChannel.objects.create(name=f"#alerts-{n}", kind="slack", url=f"http://127.0.0.1:9/{n}")
    # One of them asks whether a newer occurrence has succeeded since (then an old failure opens nothing).
    # Elsewhere than on PostgreSQL each outbox reads the keys recorded before inserting (oncall.bulk).
    queries = 24 if connection.vendor == "postgresql" else 26
    with django_capture_on_commit_callbacks() as callbacks, django_assert_num_queries(queries):
        post_run(service, pipeline, "run-1", "failed")
    incident = Incident.objects.get()
    owners = {ownership.member.email for ownership in Ownership.objects.select_related("member")}
    assert len(owners) == 2 * (1 + downstream)  # the pipeline's and every one downstream's
    assert set(Notification.objects.values_list("recipient", flat=True)) == owners | {incident.assignee.email}
    assert set(ChatMessage.objects.values_list("destination", flat=True)) == {f"#alerts-{n}" for n in range(channels)}
    assert len(callbacks) == 2  # the emails and the chat messages, each handed to the broker at once


def test_a_pipeline_without_a_critical_downstream_team_pages_as_major():
    pipeline = PipelineFactory(critical_downstream_team=None)
    record(pipeline, "run-1", "failed")
    assert Incident.objects.get().severity == "major"


def test_further_failures_join_the_open_incident_and_a_resent_failure_counts_once(pipeline):
    for number in range(1, 4):
        record(pipeline, f"run-{number}", "failed", TUESDAY + timedelta(hours=number))
    record(pipeline, "run-3", "failed", TUESDAY + timedelta(hours=3))  # the orchestrator re-sent it
    incident = Incident.objects.get()
    assert incident.signal_count == 3
    assert [n.text for n in incident.notes.all()][1:] == [
        f"Joined: run run-{n} failed (scheduled 2026-11-24 {6 + n:02d}:00 UTC)" for n in (2, 3)
    ]


def test_the_next_success_resolves_the_incident_at_the_delivery_time_with_a_note(pipeline):
    record(pipeline, "run-1", "failed")
    incident = Incident.objects.get()
    success = record(pipeline, "run-2", "success", TUESDAY + timedelta(hours=1))
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED
    assert incident.resolved_at == success.finished_at
    assert incident.notes.get(status_change=IncidentStatus.RESOLVED).text == "recovered: run run-2 succeeded"
    # After recovery a new failure is a new incident.
    record(pipeline, "run-3", "failed", TUESDAY + timedelta(hours=2))
    assert Incident.objects.filter(pipeline=pipeline).count() == 2
    assert Incident.objects.unresolved().get().signal_count == 1


def test_an_older_run_succeeding_late_does_not_resolve_a_newer_failure(pipeline):
    record(pipeline, "today", "failed", TUESDAY)
    record(pipeline, "yesterday", "success", TUESDAY - timedelta(days=1))
    assert Incident.objects.get().status == IncidentStatus.OPEN


def test_running_runs_and_successes_without_an_incident_open_nothing(pipeline):
    record(pipeline, "run-1", "running")
    record(pipeline, "run-2", "success")
    assert not Incident.objects.exists()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(["failed", "success", "running"]), min_size=1, max_size=12))
def test_incidents_match_the_failure_streaks(statuses):
    """However runs arrive, one incident per streak of failures, counting each failure, at most one open."""
    pipeline = PipelineFactory()
    streaks, counts, open_streak = 0, [], False
    for number, status in enumerate(statuses):
        record(pipeline, f"run-{number}", status, TUESDAY + timedelta(hours=number))
        if status == "failed":
            if not open_streak:
                streaks, open_streak = streaks + 1, True
                counts.append(0)
            counts[-1] += 1
        elif status == "success":
            open_streak = False
    incidents = list(Incident.objects.filter(pipeline=pipeline).order_by("pk"))
    assert len(incidents) == streaks
    assert [i.signal_count for i in incidents] == counts
    assert sum(i.status != IncidentStatus.RESOLVED for i in incidents) == int(open_streak)


def test_recovers_only_from_occurrences_at_or_after_the_failures():
    assert recovers(TUESDAY, [])
    assert recovers(TUESDAY, [TUESDAY - timedelta(hours=1), TUESDAY])
    assert not recovers(TUESDAY, [TUESDAY + timedelta(hours=1)])


def test_alert_severity_maps_the_label():
    assert [alert_severity(v) for v in ("critical", "warning", "info", None, "CRITICAL")] == [
        "critical", "major", "minor", "minor", "critical"
    ]  # fmt: skip


def test_signal_record_ignores_a_run_status_without_meaning(pipeline):
    run = RunFactory(pipeline=pipeline, scheduled_for=TUESDAY, status="running")
    assert run_signal_record(run=run) is None


def test_the_database_holds_one_open_automatic_incident_per_pipeline_and_one_for_the_team(pipeline):
    for about in (pipeline, None):
        IncidentFactory(pipeline=about, automatic=True)
        with pytest.raises(IntegrityError), transaction.atomic():
            IncidentFactory(pipeline=about, automatic=True)
        IncidentFactory(pipeline=about, automatic=False)  # people may open as many as they need
    IncidentFactory(pipeline=PipelineFactory(), automatic=True)  # another pipeline's has its own place


def test_a_run_cleared_and_run_again_that_fails_again_opens_a_new_incident(pipeline):
    # An orchestrator re-runs a run under the same id: each attempt that fails is a failure of its own.
    first = record(pipeline, "run-1", "failed")
    record(pipeline, "run-1", "success")
    retried = {
        "started_at": first.started_at + timedelta(hours=2),
        "finished_at": first.finished_at + timedelta(hours=2),
    }
    run_upsert(pipeline=pipeline, external_id="run-1", values={"status": "failed", **retried})
    run_upsert(pipeline=pipeline, external_id="run-1", values={"status": "failed", **retried})  # re-sent: once
    assert [(i.status, i.signal_count) for i in Incident.objects.order_by("pk")] == [
        (IncidentStatus.RESOLVED, 1), (IncidentStatus.OPEN, 1)
    ]  # fmt: skip


def test_a_failure_older_than_the_latest_success_opens_nothing(pipeline):
    # A backfill, or a late delivery of an old attempt: the pipeline has recovered since.
    record(pipeline, "today", "success", TUESDAY)
    record(pipeline, "last-week", "failed", TUESDAY - timedelta(days=7))
    assert not Incident.objects.exists()
    record(pipeline, "today-again", "failed", TUESDAY + timedelta(hours=1))
    assert Incident.objects.get().signal_count == 1


def test_a_more_severe_signal_joining_raises_the_incidents_severity(pipeline):
    incident, _ = incident_signal_record(
        pipeline=pipeline, kind=SignalKind.ALERT, key="alert-info", summary="alert RowsLow firing",
        at=TUESDAY, now=TUESDAY, severity="minor",
    )  # fmt: skip
    record(pipeline, "run-1", "failed")  # the pipeline feeds a critical downstream team
    incident.refresh_from_db()
    assert incident.severity == "critical" and incident.signal_count == 2
    assert [note.text for note in incident.notes.all()][-2:] == [
        "Joined: run run-1 failed (scheduled 2026-11-24 06:00 UTC)", "Severity raised from Minor to Critical."
    ]  # fmt: skip


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.tuples(st.integers(0, 47), st.sampled_from(["failed", "success", "running"])),
        min_size=1,
        max_size=10,
        unique_by=lambda run: run[0],
    )
)
def test_however_late_runs_arrive_the_pipeline_is_open_exactly_while_its_newest_finished_run_failed(runs):
    """Runs reported out of order (backfills, retries, late reports): one incident open at most, and one
    is open exactly when the newest finished occurrence failed."""
    pipeline = PipelineFactory()
    for hour, status in runs:
        record(pipeline, f"run-{hour}", status, TUESDAY + timedelta(hours=hour))
        finished = [(h, s) for h, s in runs[: runs.index((hour, status)) + 1] if s != "running"]
        newest_failed = bool(finished) and max(finished)[1] == "failed"
        open_now = Incident.objects.filter(pipeline=pipeline).unresolved().count()
        assert open_now == int(newest_failed), (runs, hour, status)
