"""The monthly SLA service: stored figures, idempotence, review freeze, escalations and delay notices."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core import mail

from incidents.communications import delay_notices_send
from incidents.models import Communication
from pipelines.models import Run, SlaPolicy
from sla.models import SlaEscalation, SlaReport
from sla.services import SLA_FIGURES, sla_month_compute, sla_month_sign_off
from tests.oncall.factories import TeamMemberFactory
from tests.pipelines.factories import DownstreamTeamFactory, PipelineFactory, RunFactory
from tests.sla.factories import SlaReportFactory

pytestmark = pytest.mark.django_db

MONTH = date(2026, 10, 1)
AFTER = datetime(2026, 11, 2, tzinfo=UTC)


def daily_runs(pipeline, *, skip=(), late=(), bad=()):
    """A successful 06:00 run every day of October 2026, except as told."""
    for day in range(1, 32):
        if day in skip:
            continue
        scheduled = datetime(2026, 10, day, 6, tzinfo=UTC)
        available = datetime(2026, 10, day, 9, 30, tzinfo=UTC) if day in late else scheduled + timedelta(hours=1)
        RunFactory(
            pipeline=pipeline,
            external_id=f"{pipeline.slug}-{day}",
            scheduled_for=scheduled,
            finished_at=available,
            data_available_at=available,
            reported=True,
            records_total=10000,
            records_dropped=50 if day in bad else 1,
        )


@pytest.fixture
def pipelines():
    good = PipelineFactory(name="Good", schedule="0 6 * * *")
    bad = PipelineFactory(
        name="Bad",
        schedule="0 6 * * *",
        critical_downstream_team=DownstreamTeamFactory(name="Profit", lead_email="lead@example.com"),
    )
    daily_runs(good)
    daily_runs(bad, skip={5}, late={14}, bad={20})  # Wednesday 14 October is a business day
    return good, bad


def test_compute_stores_a_report_per_pipeline_with_the_lists_behind_it(pipelines):
    good, bad = pipelines
    sla_month_compute(month=MONTH, now=AFTER)
    ok = SlaReport.objects.get(pipeline=good)
    assert (ok.scheduled_runs, ok.successful_runs, ok.compliant, ok.final) == (31, 31, True, True)
    breached = SlaReport.objects.get(pipeline=bad)
    assert (breached.successful_runs, breached.error_budget, breached.error_budget_left) == (30, 0, -1)
    assert not breached.availability_ok and not breached.timeliness_ok and not breached.quality_ok
    assert breached.response_ok and not breached.compliant
    assert breached.late_days == 2 and breached.uncommunicated_delays == 2  # the 5th (missing) and the 14th
    assert [f["scheduled_for"][:10] for f in breached.details["failed_occurrences"]] == ["2026-10-05"]
    assert breached.quality_breaches == 1
    assert [b["external_id"] for b in breached.details["quality_breaches"]] == [f"{bad.slug}-20"]


def test_compute_twice_changes_nothing(pipelines):
    sla_month_compute(month=MONTH, now=AFTER)
    before = list(SlaReport.objects.order_by("pk").values())
    sla_month_compute(month=MONTH, now=AFTER)
    assert list(SlaReport.objects.order_by("pk").values()) == before


def test_report_factory_figures_are_the_ones_compute_stores(pipelines):
    """The factory's reports hang together as computed ones do: clean by default, breached as told."""
    good, bad = pipelines
    sla_month_compute(month=MONTH, now=AFTER)
    made = {
        good: SlaReportFactory.build(pipeline=good, month=MONTH, computed_at=AFTER),
        bad: SlaReportFactory.build(
            pipeline=bad,
            month=MONTH,
            computed_at=AFTER,
            successful_runs=30,
            late_days=2,
            uncommunicated_delays=2,
            quality_breaches=1,
        ),
    }
    figures = [*SLA_FIGURES, "final"]
    for pipeline, report in made.items():
        stored = SlaReport.objects.get(pipeline=pipeline)
        assert {name: getattr(report, name) for name in figures} == {name: getattr(stored, name) for name in figures}


def test_escalation_is_sent_once_per_pipeline_month_and_dimension(pipelines, django_capture_on_commit_callbacks):
    good, bad = pipelines
    TeamMemberFactory(is_manager=True, email="leader@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        sla_month_compute(month=MONTH, now=AFTER)
        sla_month_compute(month=MONTH, now=AFTER)
    escalations = SlaEscalation.objects.filter(pipeline=bad)
    assert sorted(escalations.values_list("dimension", flat=True)) == ["availability", "quality", "timeliness"]
    assert not SlaEscalation.objects.filter(pipeline=good).exists()
    assert len(mail.outbox) == 3 * 2  # three dimensions, to the leader and the Profit lead, once each
    assert {m.to[0] for m in mail.outbox} == {"leader@example.com", "lead@example.com"}


def test_escalation_with_nobody_to_tell_is_flagged(pipelines):
    good, bad = pipelines
    bad.critical_downstream_team.lead_email = ""
    bad.critical_downstream_team.save()
    sla_month_compute(month=MONTH, now=AFTER)
    escalation = SlaEscalation.objects.filter(pipeline=bad).first()
    assert "no Data Engineering Manager" in escalation.missing and "Profit" in escalation.missing


def test_signed_off_month_keeps_its_figures_and_shows_later_changes(pipelines):
    good, bad = pipelines
    sla_month_compute(month=MONTH, now=AFTER)
    sla_month_sign_off(month=MONTH, reviewer=TeamMemberFactory(is_manager=True), notes="ok", now=AFTER)
    Run.objects.filter(pipeline=good, external_id=f"{good.slug}-3").update(status="failed")
    sla_month_compute(month=MONTH, now=AFTER + timedelta(days=1))
    report = SlaReport.objects.get(pipeline=good)
    assert report.successful_runs == 31 and report.compliant
    assert report.changed_since_review and report.latest["successful_runs"] == 30
    untouched = SlaReport.objects.get(pipeline=bad)
    assert not untouched.changed_since_review


def test_month_to_date_is_not_final(pipelines):
    sla_month_compute(month=MONTH, now=datetime(2026, 10, 16, 12, tzinfo=UTC))
    report = SlaReport.objects.get(pipeline__name="Good")
    assert not report.final and report.scheduled_runs == 16


def test_delay_notice_goes_out_once_at_deadline_plus_threshold(pipelines, django_capture_on_commit_callbacks):
    good, bad = pipelines
    day = datetime(2026, 11, 4, tzinfo=UTC)  # a Wednesday
    RunFactory(pipeline=good, scheduled_for=day.replace(hour=6), data_available_at=day.replace(hour=7))  # on time
    with django_capture_on_commit_callbacks(execute=True):
        assert delay_notices_send(now=day.replace(hour=8, minute=59)) == 0
        assert delay_notices_send(now=day.replace(hour=9)) == 1
        assert delay_notices_send(now=day.replace(hour=9, minute=5)) == 0
    notice = Communication.objects.get()
    assert notice.pipeline == bad and notice.day == day.date() and notice.automatic
    told = {m.to[0] for m in mail.outbox}
    assert "lead@example.com" in told
    assert {o.member.email for o in bad.ownerships.all()} <= told


def test_no_delay_notices_on_weekends_or_holidays(pipelines):
    from oncall.models import Rotation

    Rotation.objects.create(name="Team")  # its US calendar makes Thanksgiving a holiday
    assert delay_notices_send(now=datetime(2026, 11, 7, 10, tzinfo=UTC)) == 0  # Saturday
    assert delay_notices_send(now=datetime(2026, 11, 26, 10, tzinfo=UTC)) == 0  # Thanksgiving
    assert delay_notices_send(now=datetime(2026, 11, 27, 10, tzinfo=UTC)) == 2  # Friday: neither delivered
    assert SlaPolicy.objects.exists()


def paris_deadline():
    SlaPolicy.objects.update_or_create(pk=SlaPolicy.current().pk, defaults={"deadline_timezone": "Europe/Paris"})


def test_delay_notice_goes_out_at_the_deadline_in_the_policys_zone(pipelines, django_capture_on_commit_callbacks):
    paris_deadline()  # 08:00 Paris is 07:00 UTC in November: notices are due from 08:00 UTC
    day = datetime(2026, 11, 4, tzinfo=UTC)
    with django_capture_on_commit_callbacks(execute=True):
        assert delay_notices_send(now=day.replace(hour=7, minute=59)) == 0
        assert delay_notices_send(now=day.replace(hour=8)) == 2
    notice = Communication.objects.filter(pipeline__name="Bad").get()
    assert "had not arrived by 09:00 CET; it was due at 08:00 CET" in notice.message


def test_timeliness_reads_the_deadline_in_the_policys_zone_across_dst():
    """Europe/Paris starts summer time on Sunday 29 March 2026: 08:00 there is 07:00 UTC before, 06:00 UTC after."""
    pipeline = PipelineFactory(name="Paris", schedule="0 5 * * *")
    for day in range(1, 32):
        scheduled = datetime(2026, 3, day, 5, tzinfo=UTC)
        delivered = scheduled.replace(hour=6, minute=30)
        Run.objects.create(
            pipeline=pipeline, external_id=f"march-{day}", scheduled_for=scheduled, status="success",
            finished_at=delivered, data_available_at=delivered,
        )  # fmt: skip
    month, after = date(2026, 3, 1), datetime(2026, 4, 2, tzinfo=UTC)
    sla_month_compute(month=month, now=after)
    assert SlaReport.objects.get().late_days == 0  # 06:30 UTC is before 08:00 UTC every day
    paris_deadline()
    sla_month_compute(month=month, now=after)
    report = SlaReport.objects.get()
    assert report.business_days == 22 and report.late_days == 2
    assert [late["day"] for late in report.details["late_days"]] == ["2026-03-30", "2026-03-31"]
