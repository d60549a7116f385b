"""The every-minute watch: missed deliveries at the business-day deadline, overdue runs, idempotence."""

from datetime import UTC, date, datetime, time, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from hypothesis import given
from hypothesis import strategies as st

from incidents.automatic import missed_deliveries_open, overdue_runs_open, run_signal_record
from incidents.choices import SignalKind
from incidents.models import Communication, Incident, IncidentNote, IncidentSignal
from oncall.models import Notification
from pipelines.deliveries import business_deadline, deadline_missed
from pipelines.models import Run, SlaPolicy
from pipelines.services import run_upsert
from tests.incidents.factories import IncidentFactory
from tests.pipelines.factories import PipelineFactory

pytestmark = pytest.mark.django_db

EIGHT = time(8, 0)
TUESDAY = date(2026, 11, 24)
THANKSGIVING = date(2026, 11, 26)  # a US holiday: the team's calendar is closed


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


def delivered(pipeline, day: date, hour: int, status="success", external_id=None):
    return Run.objects.create(
        pipeline=pipeline,
        external_id=external_id or f"{pipeline.slug}-{day}-{hour}-{status}",
        scheduled_for=at(day, 6),
        started_at=at(day, 6),
        finished_at=at(day, hour) if status != "running" else None,
        status=status,
    )


@given(day=st.dates(min_value=date(2026, 1, 1), max_value=date(2028, 12, 31)), minute=st.integers(0, 24 * 60 - 1))
def test_a_deadline_is_missed_only_on_a_business_day_after_0800_with_nothing_delivered(day, minute):
    closed = {THANKSGIVING, date(2026, 12, 25)}
    now = at(day, 0) + timedelta(minutes=minute)
    business = day.weekday() < 5 and day not in closed
    missed = deadline_missed(None, day=day, now=now, deadline=EIGHT, closed_days=closed)
    assert missed == (business and now > at(day, 8))
    assert not deadline_missed(now, day=day, now=now, deadline=EIGHT, closed_days=closed)
    assert (business_deadline(day, deadline=EIGHT, closed_days=closed) is None) == (not business)


def test_missed_deliveries_open_one_incident_per_late_pipeline_and_skip_pipelines_without_runs():
    late, on_time, failed, never = (PipelineFactory(name=n) for n in ("Late", "On time", "Failed", "Never"))
    delivered(late, TUESDAY - timedelta(days=1), 7)  # delivered yesterday, nothing today
    delivered(on_time, TUESDAY, 7)
    run_upsert(  # its failure already opened an incident, which the missed delivery joins
        pipeline=failed,
        external_id="failed-run",
        values={"scheduled_for": at(TUESDAY, 6), "finished_at": at(TUESDAY, 7), "status": "failed"},
    )
    assert missed_deliveries_open(now=at(TUESDAY, 8)) == 0  # 08:00:00 itself is still on time
    assert missed_deliveries_open(now=at(TUESDAY, 8, 5)) == 2
    assert set(Incident.objects.values_list("pipeline__name", "signal_count")) == {("Late", 1), ("Failed", 2)}
    signal = IncidentSignal.objects.get(incident__pipeline=late)
    assert signal.kind == SignalKind.MISSED_DELIVERY
    assert signal.summary == "no data delivered by the 08:00 UTC deadline on Tue 24 Nov 2026"
    assert Incident.objects.get(pipeline=late).detected_at == at(TUESDAY, 8)
    assert not Incident.objects.filter(pipeline=never).exists()
    assert missed_deliveries_open(now=at(TUESDAY, 9, 30)) == 0  # once per pipeline and day


def test_no_missed_delivery_on_weekends_and_holidays(on_call_team):
    pipeline = PipelineFactory()
    delivered(pipeline, date(2026, 11, 20), 7)
    assert missed_deliveries_open(now=at(date(2026, 11, 21), 10)) == 0  # Saturday
    assert missed_deliveries_open(now=at(date(2026, 11, 22), 10)) == 0  # Sunday
    assert missed_deliveries_open(now=at(THANKSGIVING, 10)) == 0
    assert missed_deliveries_open(now=at(date(2026, 11, 23), 10)) == 1  # Monday


def test_data_arriving_after_the_deadline_resolves_the_missed_delivery_incident():
    pipeline = PipelineFactory()
    delivered(pipeline, TUESDAY - timedelta(days=1), 7)
    missed_deliveries_open(now=at(TUESDAY, 8, 5))
    run = delivered(pipeline, TUESDAY, 9, external_id="late-run")
    run_signal_record(run=run, now=at(TUESDAY, 9, 1))
    incident = Incident.objects.get()
    assert incident.status == "resolved" and incident.resolved_at == at(TUESDAY, 9)


def test_a_run_still_running_past_the_expected_duration_opens_an_incident_once():
    pipeline = PipelineFactory(expected_duration=timedelta(hours=1))
    quick = PipelineFactory()  # no expected duration: never overdue
    run = delivered(pipeline, TUESDAY, 0, status="running")
    delivered(quick, TUESDAY, 0, status="running")
    assert overdue_runs_open(now=at(TUESDAY, 7)) == 0  # started 06:00, due 07:00
    assert overdue_runs_open(now=at(TUESDAY, 7, 1)) == 1
    assert overdue_runs_open(now=at(TUESDAY, 7, 2)) == 0
    signal = IncidentSignal.objects.get()
    assert signal.kind == SignalKind.OVERDUE_RUN and signal.run == run
    assert signal.incident.detected_at == at(TUESDAY, 7)


def snapshot():
    return [
        model.objects.count() for model in (Incident, IncidentSignal, IncidentNote, Notification, Communication)
    ] + [list(Incident.objects.values_list("status", "signal_count"))]


def test_watch_at_an_instant_does_everything_once_and_nothing_the_second_time(on_call_team):
    late = PipelineFactory(name="Late")
    delivered(late, TUESDAY - timedelta(days=1), 7)
    slow = PipelineFactory(name="Slow", expected_duration=timedelta(minutes=30))
    delivered(slow, TUESDAY, 0, status="running")
    # Critical and never acknowledged: escalated at 09:15, with the two opened here (Late, Slow).
    IncidentFactory(detected_at=at(TUESDAY, 6))
    out = StringIO()
    call_command("watch", "--at", "2026-11-24T09:20:00Z", stdout=out)
    assert out.getvalue().strip() == (
        "2026-11-24 09:20:00 UTC: 2 missed deliveries, 1 overdue runs, 3 escalations, 3 delay notices"
    )
    first = snapshot()
    assert Notification.objects.filter(kind="incidents.delay-notice").exists()
    assert Notification.objects.filter(kind="incidents.unacknowledged").exists()
    call_command("watch", "--at", "2026-11-24T09:20:00Z", stdout=StringIO())
    call_command("watch", "--at", "2026-11-24T09:21:00Z", stdout=StringIO())
    assert snapshot() == first


def test_a_success_of_an_earlier_day_does_not_resolve_a_missed_delivery():
    pipeline = PipelineFactory()
    yesterday = delivered(pipeline, TUESDAY - timedelta(days=1), 7)
    missed_deliveries_open(now=at(TUESDAY, 8, 5))
    run_signal_record(run=yesterday, now=at(TUESDAY, 8, 30))  # re-sent by the orchestrator
    assert Incident.objects.get().status == "open"
    run_signal_record(run=delivered(pipeline, TUESDAY, 9), now=at(TUESDAY, 9, 1))
    assert Incident.objects.get().status == "resolved"


def test_watch_without_at_uses_now_and_refuses_a_malformed_instant():
    out = StringIO()
    call_command("watch", stdout=out)
    assert out.getvalue().startswith("2026-11-25 12:00:00 UTC: ")
    with pytest.raises(CommandError, match="not an ISO 8601 instant"):
        call_command("watch", "--at", "yesterday")
    # Incidents detected in the future would refuse every later step (acknowledged before detected).
    with pytest.raises(CommandError, match="is in the future"):
        call_command("watch", "--at", "2026-11-25T12:01:00Z")
    assert not Incident.objects.exists()


def test_a_missed_delivery_is_opened_at_the_deadline_in_the_policys_zone():
    SlaPolicy.objects.update_or_create(pk=SlaPolicy.current().pk, defaults={"deadline_timezone": "Europe/Paris"})
    pipeline = PipelineFactory(name="Late")
    delivered(pipeline, TUESDAY - timedelta(days=1), 6)
    assert missed_deliveries_open(now=at(TUESDAY, 7)) == 0  # 08:00 in Paris, still on time
    assert missed_deliveries_open(now=at(TUESDAY, 7, 1)) == 1
    signal = IncidentSignal.objects.get()
    assert signal.summary == "no data delivered by the 08:00 CET deadline on Tue 24 Nov 2026"
    assert Incident.objects.get().detected_at == at(TUESDAY, 7)
