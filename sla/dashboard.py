"""What the SLA dashboard shows for a month: the reports, their trends and escalations, the review."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from oncall.months import add_months
from pipelines.models import SlaPolicy

from .charts import TREND_MONTHS, ComplianceChart, Sparkline, availability_sparkline, compliance_chart, percent_text
from .models import SlaEscalation, SlaReport, SlaReview


def duration_text(value: timedelta) -> str:
    minutes = int(value.total_seconds() // 60)
    if minutes % 60:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{minutes // 60} hour{'s' if minutes != 60 else ''}"


def policy_summary(policy: SlaPolicy) -> str:
    """The targets in one sentence, for the page the meeting prints."""
    return (
        f"availability ≥ {percent_text(policy.availability_target)} % of scheduled runs; "
        f"data by {policy.deadline:%H:%M} {policy.deadline_timezone} each business day, "
        f"delays over {duration_text(policy.delay_threshold)} communicated; "
        f"at most {percent_text(policy.bad_records_pct)} % bad records per run and no null critical fields; "
        f"critical incidents acknowledged within {policy.acknowledge_minutes} business minutes "
        f"and fixed within {duration_text(policy.resolution)}."
    )


def review_action_items(review: SlaReview | None) -> list[str]:
    return [line.strip() for line in review.action_items.splitlines() if line.strip()] if review else []


# --- the dashboard -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DashboardRow:
    report: SlaReport
    trend: Sparkline
    escalations: tuple[SlaEscalation, ...]

    @property
    def unreached(self) -> list[str]:
        """Who should have been told of a breach but could not be, once per reason."""
        dimensions: dict[str, list[str]] = defaultdict(list)
        for escalation in self.escalations:
            if escalation.missing:
                dimensions[escalation.missing].append(escalation.get_dimension_display().lower())
        return [f"{missing} ({', '.join(names)})" for missing, names in dimensions.items()]


@dataclass(frozen=True)
class SlaDashboard:
    month: date
    policy: SlaPolicy
    rows: list[DashboardRow]
    review: SlaReview | None
    escalations: list[SlaEscalation]
    compliance: ComplianceChart

    @property
    def compliant_count(self) -> int:
        return sum(row.report.compliant for row in self.rows)

    @property
    def changed_count(self) -> int:
        return sum(row.report.changed_since_review for row in self.rows)

    @property
    def final(self) -> bool:
        return bool(self.rows) and all(row.report.final for row in self.rows)

    @property
    def computed_at(self) -> datetime | None:
        return max((row.report.computed_at for row in self.rows), default=None)

    @property
    def breaches(self) -> dict[str, int]:
        """Pipelines breaching each dimension."""
        return {
            name: sum(not getattr(row.report, f"{name}_ok") for row in self.rows)
            for name in ("availability", "timeliness", "quality", "response")
        }

    @property
    def action_items(self) -> list[str]:
        return review_action_items(self.review)

    @property
    def targets(self) -> str:
        return policy_summary(self.policy)

    @property
    def availability_target(self) -> str:
        return percent_text(self.policy.availability_target)


def sla_dashboard(month: date) -> SlaDashboard:
    """The month's reports, 12-month history, escalations and review in a fixed number of queries."""
    policy = SlaPolicy.current()
    # The lists behind the figures can be long; the table needs only the figures.
    reports = list(
        SlaReport.objects.filter(month=month)
        .select_related("pipeline")
        .defer("details", "latest")
        .order_by("pipeline__name")
    )
    months = [add_months(month, offset) for offset in range(1 - TREND_MONTHS, 1)]
    history: dict[int, dict[date, tuple[Decimal, bool]]] = defaultdict(dict)
    counts: dict[date, tuple[int, int]] = {}
    for pipeline_id, when, pct, ok, compliant in SlaReport.objects.filter(
        month__gte=months[0], month__lte=month
    ).values_list("pipeline_id", "month", "availability_pct", "availability_ok", "compliant"):
        history[pipeline_id][when] = (pct, ok)
        done, total = counts.get(when, (0, 0))
        counts[when] = (done + compliant, total + 1)
    escalations = list(SlaEscalation.objects.filter(month=month).select_related("pipeline"))
    by_pipeline: dict[int, list[SlaEscalation]] = defaultdict(list)
    for escalation in escalations:
        by_pipeline[escalation.pipeline_id].append(escalation)
    rows = [
        DashboardRow(
            report=report,
            trend=availability_sparkline(months, history[report.pipeline_id], policy.availability_target),
            escalations=tuple(by_pipeline[report.pipeline_id]),
        )
        for report in reports
    ]
    return SlaDashboard(
        month=month,
        policy=policy,
        rows=rows,
        review=SlaReview.objects.select_related("reviewer").filter(month=month).first(),
        escalations=escalations,
        compliance=compliance_chart(months, counts),
    )
