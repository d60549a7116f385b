"""What the SLA dashboard shows for a month: the pipelines that need attention, a summary per downstream
team, the trends, escalations and review; and the sheet the meeting prints with every pipeline.

Whatever the number of pipelines, the page reads a fixed number of queries: the counts and the team
summary are aggregates, and only the page of rows shown (25) is read with its history and escalations.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from django.core.paginator import Page, Paginator
from django.db.models import Case, Count, Exists, F, IntegerField, Max, OuterRef, Q, QuerySet, Value, When
from django.db.models.lookups import LessThanOrEqual
from django.utils.functional import cached_property

from oncall.months import add_months
from pipelines.models import Ownership, SlaPolicy
from pipelines.querysets import RUNBOOK_TEXT

from .charts import (
    TREND_MONTHS,
    ComplianceChart,
    Sparkline,
    availability_sparkline,
    compliance_chart,
    counted,
    percent_text,
)
from .choices import DashboardShow, Dimension
from .models import SlaEscalation, SlaReport, SlaReview


def duration_text(value: timedelta) -> str:
    minutes = int(value.total_seconds() // 60)
    if minutes % 60:
        return counted(minutes, "minute")
    return counted(minutes // 60, "hour")


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


# --- what needs attention -----------------------------------------------------------------------

NEARLY_SPENT_SHARE = Fraction(1, 4)
"""A compliant pipeline's error budget is nearly spent when at most this share of it is left."""

# `NEARLY_SPENT_SHARE` in words, as the page says it.
NEARLY_SPENT_TEXT = "compliant, with a quarter or less of the error budget left"

PAGE_SIZE = 25  # rows with their details and trend: 25 keep the page as quick as a list of names

# How a report ranks on the dashboard (the `attention` annotation): breaching first, then nearly spent.
BREACHING, NEARLY_SPENT, COMPLIANT = 0, 1, 2
ATTENTION_LABELS = {BREACHING: "Not compliant", NEARLY_SPENT: "Error budget nearly spent", COMPLIANT: "Compliant"}

DIMENSIONS = ("availability", "timeliness", "quality", "response")


def budget_nearly_spent(*, compliant: bool, error_budget: int, error_budget_left: int) -> bool:
    """Compliant, with at most `NEARLY_SPENT_SHARE` of the error budget left.

    A budget of zero (too few runs in the month for the target to allow a single failure, as for a daily
    pipeline at 99.5 %) has nothing to spend, so it is never nearly spent: otherwise every such pipeline
    would be listed, and the list would no longer say which ones need a look.
    """
    share = NEARLY_SPENT_SHARE
    return compliant and error_budget > 0 and error_budget_left * share.denominator <= error_budget * share.numerator


def nearly_spent_condition() -> Q:
    """`budget_nearly_spent` as a database condition on `SlaReport`."""
    share = NEARLY_SPENT_SHARE
    return Q(compliant=True, error_budget__gt=0) & Q(
        LessThanOrEqual(F("error_budget_left") * share.denominator, F("error_budget") * share.numerator)
    )


def with_attention(reports: QuerySet[SlaReport]) -> QuerySet[SlaReport]:
    """Reports with `attention`: BREACHING, NEARLY_SPENT or COMPLIANT."""
    return reports.annotate(
        attention=Case(
            When(compliant=False, then=Value(BREACHING)),
            When(nearly_spent_condition(), then=Value(NEARLY_SPENT)),
            default=Value(COMPLIANT),
            output_field=IntegerField(),
        )
    )


@dataclass(frozen=True)
class DashboardFilters:
    """Which pipelines the dashboard's counts, summary and rows cover, and which of them it lists."""

    team: int | None = None
    no_team: bool = False  # pipelines without a downstream team
    team_name: str = ""
    owner: int | None = None  # a member: pipelines they own, primary or secondary
    owner_name: str = ""
    mine: int | None = None  # the signed-in member, when they asked for their own pipelines
    search: str = ""  # words of the pipeline's name or slug
    show: str = DashboardShow.ATTENTION

    @property
    def narrowed(self) -> bool:
        """Whether the counts cover fewer than every pipeline of the month."""
        return bool(self.team or self.no_team or self.owner or self.mine or self.search)

    @property
    def description(self) -> str:
        """The pipelines covered, in words: "pipelines whose downstream team is Finance, owned by Ana"."""
        clauses = []
        if self.team:
            clauses.append(f"whose downstream team is {self.team_name}")
        elif self.no_team:
            clauses.append("with no downstream team")
        if self.owner:
            clauses.append(f"owned by {self.owner_name}")
        if self.mine:
            clauses.append("that you own")
        if self.search:
            clauses.append(f"matching “{self.search}”")
        return f"pipelines {', '.join(clauses)}" if clauses else "all pipelines"

    def condition(self) -> Q:
        """Which reports the filters cover, as a condition on `SlaReport` (not yet narrowed to `show`)."""
        condition = Q()
        if self.team:
            condition &= Q(pipeline__critical_downstream_team_id=self.team)
        elif self.no_team:
            condition &= Q(pipeline__critical_downstream_team__isnull=True)
        for member in (self.owner, self.mine):
            if member:
                condition &= Q(Exists(Ownership.objects.filter(pipeline_id=OuterRef("pipeline_id"), member_id=member)))
        for word in self.search.split():
            condition &= Q(pipeline__name__icontains=word) | Q(pipeline__slug__icontains=word)
        return condition


def shown(reports: QuerySet[SlaReport], show: str) -> QuerySet[SlaReport]:
    """The reports (annotated `with_attention`) listed as rows, breaching first, then nearly spent, by name."""
    condition = {
        DashboardShow.ATTENTION: Q(attention__lt=COMPLIANT),
        DashboardShow.BREACHING: Q(attention=BREACHING),
        DashboardShow.NEARLY_SPENT: Q(attention=NEARLY_SPENT),
        DashboardShow.COMPLIANT: Q(compliant=True),
    }.get(show, Q())
    return reports.filter(condition).order_by("attention", "pipeline__name")


@dataclass(frozen=True)
class AttentionCounts:
    """How the pipelines covered stand: compliant, nearly spent (of those compliant), breaching each dimension."""

    pipelines: int
    compliant: int
    nearly_spent: int
    breaches: dict[str, int]

    @property
    def breaching(self) -> int:
        return self.pipelines - self.compliant

    @property
    def attention(self) -> int:
        return self.breaching + self.nearly_spent

    def listed(self, show: str) -> int:
        """How many pipelines `shown(…, show)` lists."""
        return {
            DashboardShow.ATTENTION: self.attention,
            DashboardShow.BREACHING: self.breaching,
            DashboardShow.NEARLY_SPENT: self.nearly_spent,
            DashboardShow.COMPLIANT: self.compliant,
        }.get(show, self.pipelines)


@dataclass(frozen=True)
class MonthStatus:
    """The month's computation over every pipeline, whatever the filters."""

    reports: int
    final: bool
    computed_at: datetime | None
    changed_count: int


def month_figures(month: date, covered: Q) -> tuple[MonthStatus, AttentionCounts]:
    """The month's computation, and the counts of the reports `covered`, in one aggregate query."""
    # The results are named `count_…`: an aggregate may not take the name of a field.
    figures = (
        SlaReport.objects.filter(month=month)
        .order_by()
        .aggregate(
            reports=Count("pk"),
            provisional=Count("pk", filter=Q(final=False)),
            computed_at=Max("computed_at"),
            changed=Count("pk", filter=Q(changed_since_review=True)),
            count_pipelines=Count("pk", filter=covered),
            count_compliant=Count("pk", filter=covered & Q(compliant=True)),
            count_nearly_spent=Count("pk", filter=covered & nearly_spent_condition()),
            **{f"count_{name}": Count("pk", filter=covered & Q(**{f"{name}_ok": False})) for name in DIMENSIONS},
        )
    )
    status = MonthStatus(
        reports=figures["reports"],
        final=bool(figures["reports"]) and not figures["provisional"],
        computed_at=figures["computed_at"],
        changed_count=figures["changed"],
    )
    counts = AttentionCounts(
        pipelines=figures["count_pipelines"],
        compliant=figures["count_compliant"],
        nearly_spent=figures["count_nearly_spent"],
        breaches={name: figures[f"count_{name}"] for name in DIMENSIONS},
    )
    return status, counts


@dataclass(frozen=True)
class TeamSummary:
    """The pipelines of one downstream team (or of none, `team` None) and how they stand."""

    team: int | None
    name: str
    pipelines: int
    compliant: int
    nearly_spent: int

    @property
    def breaching(self) -> int:
        return self.pipelines - self.compliant

    @property
    def filter_value(self) -> str:
        """The team's value in the dashboard's `team` filter."""
        return str(self.team) if self.team else NO_TEAM


NO_TEAM = "none"
NO_TEAM_NAME = "No downstream team"


def team_summaries(reports: QuerySet[SlaReport]) -> list[TeamSummary]:
    """Per downstream team, by name and "no downstream team" last, in one aggregate query."""
    rows = (
        reports.order_by()
        .values("pipeline__critical_downstream_team_id", "pipeline__critical_downstream_team__name")
        .annotate(
            count_pipelines=Count("pk"),
            count_compliant=Count("pk", filter=Q(compliant=True)),
            count_nearly_spent=Count("pk", filter=nearly_spent_condition()),
        )
        .order_by(F("pipeline__critical_downstream_team__name").asc(nulls_last=True))
    )
    return [
        TeamSummary(
            team=row["pipeline__critical_downstream_team_id"],
            name=row["pipeline__critical_downstream_team__name"] or NO_TEAM_NAME,
            pipelines=row["count_pipelines"],
            compliant=row["count_compliant"],
            nearly_spent=row["count_nearly_spent"],
        )
        for row in rows
    ]


# --- the dashboard -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EscalationNote:
    """A dimension of a row escalated this month, and who could not be told (the drill-down has the rest)."""

    dimension: str  # "availability", "data quality"…
    missing: str


@dataclass(frozen=True)
class DashboardRow:
    report: SlaReport  # annotated with `attention`
    trend: Sparkline
    escalations: tuple[EscalationNote, ...]

    @property
    def escalated(self) -> str:
        """The dimensions escalated this month: "availability, timeliness"."""
        return ", ".join(note.dimension for note in self.escalations)

    @property
    def attention_label(self) -> str:
        return ATTENTION_LABELS[self.report.attention]

    @property
    def nearly_spent(self) -> bool:
        return self.report.attention == NEARLY_SPENT

    # The cells' details in words, so a page of rows renders a few values each rather than dozens.

    @property
    def availability_detail(self) -> str:
        r = self.report
        return (
            f"{r.successful_runs} of {r.scheduled_runs} runs; "
            f"error budget left {r.error_budget_left} of {r.error_budget}"
        )

    @property
    def timeliness_detail(self) -> str:
        return f"{self.report.late_days} late of {counted(self.report.business_days, 'business day')}"

    @property
    def uncommunicated(self) -> str:
        """The delays nobody told the stakeholders of, when there are any."""
        delays = self.report.uncommunicated_delays
        return f"{counted(delays, 'delay')} not communicated" if delays else ""

    @property
    def quality_detail(self) -> str:
        return f"{self.report.quality_breaches} over the limit of {self.report.checked_runs} checked"

    @property
    def response_detail(self) -> str:
        r = self.report
        return (
            f"{counted(r.critical_incidents, 'critical incident')}; "
            f"{counted(r.ack_breaches, 'late acknowledgement')}, {counted(r.resolution_breaches, 'late fix', 'es')}"
        )

    @property
    def unreached(self) -> list[str]:
        """Who should have been told of a breach but could not be, once per reason."""
        dimensions: dict[str, list[str]] = defaultdict(list)
        for note in self.escalations:
            if note.missing:
                dimensions[note.missing].append(note.dimension)
        return [f"{missing} ({', '.join(names)})" for missing, names in dimensions.items()]


def trend_months(month: date) -> list[date]:
    return [add_months(month, offset) for offset in range(1 - TREND_MONTHS, 1)]


def monthly_compliance(months: list[date]) -> ComplianceChart:
    """Compliant pipelines of every month of `months`, counted in one aggregate query."""
    counts = {
        row["month"]: (row["count_compliant"], row["total"])
        for row in SlaReport.objects.filter(month__gte=months[0], month__lte=months[-1])
        .order_by()
        .values("month")
        # Counting the indexed columns, not the id: the (month, compliant) index answers alone.
        .annotate(total=Count("month"), count_compliant=Count("compliant", filter=Q(compliant=True)))
    }
    return compliance_chart(months, counts)


class MeetingPage:
    """What the dashboard and the print sheet both say of the month: the targets and the review's actions."""

    policy: SlaPolicy
    review: SlaReview | None

    @property
    def action_items(self) -> list[str]:
        return review_action_items(self.review)

    @property
    def targets(self) -> str:
        return policy_summary(self.policy)


@dataclass(frozen=True)
class SlaDashboard(MeetingPage):
    month: date
    policy: SlaPolicy
    status: MonthStatus
    filters: DashboardFilters
    counts: AttentionCounts  # of the pipelines the filters cover
    teams: list[TeamSummary]
    page: Page  # of DashboardRow
    review: SlaReview | None
    compliance: ComplianceChart
    nearly_spent_text = NEARLY_SPENT_TEXT

    @property
    def rows(self) -> list[DashboardRow]:
        return self.page.object_list

    @property
    def computed(self) -> bool:
        return bool(self.status.reports)

    @property
    def final(self) -> bool:
        return self.status.final

    @property
    def computed_at(self) -> datetime | None:
        return self.status.computed_at

    @property
    def changed_count(self) -> int:
        return self.status.changed_count

    @property
    def show_label(self) -> str:
        return DashboardShow(self.filters.show).label

    @property
    def availability_target(self) -> str:
        return percent_text(self.policy.availability_target)


class CountedPaginator(Paginator):
    """A paginator told its count, which the dashboard's aggregate already has: no COUNT query of its own."""

    def __init__(self, object_list, per_page: int, *, count: int):
        super().__init__(object_list, per_page)
        self.known_count = count

    @cached_property
    def count(self) -> int:
        return self.known_count


# The runbook's text, which the rows never show.
PIPELINE_TEXT = tuple(f"pipeline__{field}" for field in RUNBOOK_TEXT)


def sla_dashboard(month: date, filters: DashboardFilters | None = None, page: int | str | None = 1) -> SlaDashboard:
    """The month's counts, team summary and one page of rows, with their trends and escalated dimensions.

    A fixed number of queries whatever the number of pipelines: the counts and the summary are aggregates,
    the rows are sorted and paged in the database, and only the page's history and escalations are read.
    """
    filters = filters or DashboardFilters()
    policy = SlaPolicy.current()
    months = trend_months(month)
    covered = filters.condition()
    status, counts = month_figures(month, covered)
    reports = SlaReport.objects.filter(month=month).filter(covered)
    # The lists behind the figures can be long; the rows need only the figures.
    listed = shown(
        with_attention(reports).select_related("pipeline").defer("details", "latest", *PIPELINE_TEXT), filters.show
    )
    paged = CountedPaginator(listed, PAGE_SIZE, count=counts.listed(filters.show)).get_page(page)
    page_reports = list(paged.object_list)
    pipeline_ids = [report.pipeline_id for report in page_reports]
    history: dict[int, dict[date, tuple[Decimal, bool]]] = defaultdict(dict)
    for pipeline_id, when, pct, ok in (
        SlaReport.objects.filter(pipeline_id__in=pipeline_ids, month__gte=months[0], month__lte=month)
        .order_by()
        .values_list("pipeline_id", "month", "availability_pct", "availability_ok")
    ):
        history[pipeline_id][when] = (pct, ok)
    labels = dict(Dimension.choices)
    escalated: dict[int, list[EscalationNote]] = defaultdict(list)
    for pipeline_id, dimension, missing in (
        SlaEscalation.objects.filter(month=month, pipeline_id__in=pipeline_ids)
        .order_by("dimension")
        .values_list("pipeline_id", "dimension", "missing")
    ):
        escalated[pipeline_id].append(EscalationNote(labels[dimension].lower(), missing))
    paged.object_list = [
        DashboardRow(
            report=report,
            trend=availability_sparkline(months, history[report.pipeline_id], policy.availability_target),
            escalations=tuple(escalated[report.pipeline_id]),
        )
        for report in page_reports
    ]
    return SlaDashboard(
        month=month,
        policy=policy,
        status=status,
        filters=filters,
        counts=counts,
        teams=team_summaries(reports),
        page=paged,
        review=SlaReview.objects.select_related("reviewer").filter(month=month).first(),
        compliance=monthly_compliance(months),
    )


# --- escalations in full ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EscalationLine:
    """An escalation as the print sheet and the drill-down list it, already in words."""

    pipeline: str
    dimension: str
    at: datetime
    at_text: str  # "3 Nov 2026, 06:12"
    recipients: str  # "a@example.com, b@example.com", or "nobody"
    missing: str


def escalation_lines(month: date, *, pipeline_id: int | None = None) -> list[EscalationLine]:
    """The month's escalations (of one pipeline, or all) by pipeline and dimension, in one query."""
    escalations = SlaEscalation.objects.filter(month=month)
    if pipeline_id is not None:
        escalations = escalations.filter(pipeline_id=pipeline_id)
    labels = dict(Dimension.choices)
    return [
        EscalationLine(
            pipeline=name,
            dimension=labels[dimension],
            at=at,
            at_text=f"{at.astimezone(UTC).day} {at.astimezone(UTC):%b %Y, %H:%M}",
            recipients=", ".join(recipients) or "nobody",
            missing=missing,
        )
        for name, dimension, at, recipients, missing in escalations.order_by("pipeline__name", "dimension").values_list(
            "pipeline__name", "dimension", "created_at", "recipients", "missing"
        )
    ]


# --- the printed sheet ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PrintRow:
    """One pipeline on the printed sheet, its cells already in words so that a thousand rows render quickly."""

    name: str
    team: str
    attention: int
    changed: bool
    availability: str  # "96.666 % (29 of 30)"
    availability_ok: bool
    budget: str  # "-1 of 0"
    timeliness: str  # "1 of 21, 1 not communicated"
    timeliness_ok: bool
    quality: str  # "2, 1 unreported"
    quality_ok: bool
    response: str  # late acknowledgements / late fixes: "0 / 1"
    response_ok: bool

    @property
    def status(self) -> str:
        return ATTENTION_LABELS[self.attention]


def print_row(figures: dict) -> PrintRow:
    f = figures
    return PrintRow(
        name=f["pipeline__name"],
        team=f["team"] or "—",
        attention=f["attention"],
        changed=f["changed_since_review"],
        availability=f"{f['availability_pct']} % ({f['successful_runs']} of {f['scheduled_runs']})",
        availability_ok=f["availability_ok"],
        budget=f"{f['error_budget_left']} of {f['error_budget']}",
        timeliness=f"{f['late_days']} of {f['business_days']}"
        + (f", {f['uncommunicated_delays']} not communicated" if f["uncommunicated_delays"] else ""),
        timeliness_ok=f["timeliness_ok"],
        quality=f"{f['quality_breaches']}" + (f", {f['unreported_runs']} unreported" if f["unreported_runs"] else ""),
        quality_ok=f["quality_ok"],
        response=f"{f['ack_breaches']} / {f['resolution_breaches']}",
        response_ok=f["response_ok"],
    )


@dataclass(frozen=True)
class PrintSheet(MeetingPage):
    """Every pipeline of the month in one compact table, with the targets, the review and the escalations."""

    month: date
    policy: SlaPolicy
    status: MonthStatus
    counts: AttentionCounts
    rows: list[PrintRow]
    review: SlaReview | None
    escalations: list[EscalationLine]
    compliance: ComplianceChart
    nearly_spent_text = NEARLY_SPENT_TEXT


PRINTED_FIGURES = (
    "availability_pct",
    "availability_ok",
    "successful_runs",
    "scheduled_runs",
    "error_budget",
    "error_budget_left",
    "timeliness_ok",
    "late_days",
    "business_days",
    "uncommunicated_delays",
    "quality_ok",
    "quality_breaches",
    "unreported_runs",
    "response_ok",
    "ack_breaches",
    "resolution_breaches",
    "changed_since_review",
)


def sla_print_sheet(month: date) -> PrintSheet:
    """Every pipeline of the month, breaching first, then nearly spent, then the rest, by name.

    The rows are plain values (no model instances, no per-row chart) so a thousand stay quick to print.
    """
    status, counts = month_figures(month, Q())
    rows = (
        with_attention(SlaReport.objects.filter(month=month))
        .order_by("attention", "pipeline__name")
        .values("pipeline__name", "attention", *PRINTED_FIGURES, team=F("pipeline__critical_downstream_team__name"))
    )
    return PrintSheet(
        month=month,
        policy=SlaPolicy.current(),
        status=status,
        counts=counts,
        rows=[print_row(figures) for figures in rows],
        review=SlaReview.objects.select_related("reviewer").filter(month=month).first(),
        escalations=escalation_lines(month),
        compliance=monthly_compliance(trend_months(month)),
    )
