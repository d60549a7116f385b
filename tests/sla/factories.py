from datetime import UTC, date, datetime, timedelta

import factory
from django.utils import timezone

from oncall.calendar import business_days
from sla import rules
from sla.models import SlaReport
from tests.pipelines.factories import PipelineFactory


def _bounds(report) -> tuple[datetime, datetime]:
    return rules.month_bounds(report.month.year, report.month.month)


def _runs_due(report) -> int:
    """The schedule's occurrences in the month before the report was computed."""
    start, end = _bounds(report)
    return len(rules.scheduled_occurrences(report.pipeline.schedule, start, min(end, report.computed_at)))


def _business_days(report) -> int:
    """The month's weekdays up to the day the report was computed (the team without holidays)."""
    start, end = _bounds(report)
    last = min(end - timedelta(days=1), report.computed_at).astimezone(UTC).date()
    return len(business_days(start.date(), last))


def _availability(report) -> rules.Availability:
    """The availability figures of `successful_runs` out of `scheduled_runs`, by the SLA's own arithmetic."""
    start, end = _bounds(report)
    due = [start + timedelta(minutes=n) for n in range(report.scheduled_runs)]
    return rules.availability_from_facts(
        occurrences=due,
        succeeded=due[: report.successful_runs],
        attempts={},
        unmatched=(),
        now=end,
        policy=rules.DEFAULT_POLICY,
    )


class SlaReportFactory(factory.django.DjangoModelFactory):
    """A pipeline's month as `sla_month_compute` stores it: by default October 2026, computed now, all on time.

    The figures hang together: the runs due follow the pipeline's schedule and the business days the
    weekdays (no team holidays) up to when the report was computed; availability follows `scheduled_runs`
    and `successful_runs` by the default policy; each `*_ok` follows its counts and `compliant` the four.
    Pass a count (`successful_runs=29`, `late_days=1`, …) and what depends on it follows. `details` stays
    empty unless given.
    """

    class Meta:
        model = SlaReport

    pipeline = factory.SubFactory(PipelineFactory)
    month = date(2026, 10, 1)
    computed_at = factory.LazyFunction(timezone.now)
    final = factory.LazyAttribute(lambda o: o.computed_at >= _bounds(o)[1])

    scheduled_runs = factory.LazyAttribute(_runs_due)
    successful_runs = factory.SelfAttribute("scheduled_runs")
    availability_pct = factory.LazyAttribute(lambda o: _availability(o).availability_pct)
    availability_ok = factory.LazyAttribute(lambda o: _availability(o).availability_ok)
    error_budget = factory.LazyAttribute(lambda o: _availability(o).error_budget)
    error_budget_left = factory.LazyAttribute(lambda o: _availability(o).error_budget_left)

    business_days = factory.LazyAttribute(_business_days)
    late_days = 0
    uncommunicated_delays = 0
    timeliness_ok = factory.LazyAttribute(lambda o: o.late_days == 0)

    checked_runs = factory.SelfAttribute("successful_runs")
    quality_breaches = 0
    unreported_runs = 0
    quality_ok = factory.LazyAttribute(lambda o: o.quality_breaches == 0 and o.unreported_runs == 0)

    critical_incidents = 0
    ack_breaches = 0
    resolution_breaches = 0
    response_ok = factory.LazyAttribute(lambda o: o.ack_breaches == 0 and o.resolution_breaches == 0)

    compliant = factory.LazyAttribute(
        lambda o: o.availability_ok and o.timeliness_ok and o.quality_ok and o.response_ok
    )
