"""The monthly SLA review pages: dashboard, per-pipeline drill-down, CSV export, sign-off and recompute jobs.

Figures are computed by `services.sla_month_compute` (nightly, or on demand through a Celery job);
these pages only read the stored `SlaReport` rows, so the dashboard costs the same few queries
whatever the number of pipelines.
"""

import csv
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

from celery import states
from celery.result import AsyncResult
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from incidents.models import Incident
from oncall.history import history_of
from oncall.months import add_months, first_of_month, parse_month
from oncall.permissions import is_manager
from oncall.queueing import task_enqueue
from pipelines.models import SlaPolicy

from .models import SlaEscalation, SlaReport, SlaReview
from .services import SLA_FIGURES, sla_month_sign_off
from .tasks import compute_sla_month

TREND_MONTHS = 12

FIGURE_LABELS = {
    "scheduled_runs": "Scheduled runs due",
    "successful_runs": "Successful runs",
    "availability_pct": "Availability (%)",
    "availability_ok": "Availability target met",
    "error_budget": "Error budget (failures allowed)",
    "error_budget_left": "Error budget left",
    "business_days": "Business days",
    "late_days": "Late business days",
    "uncommunicated_delays": "Delays over the threshold not communicated",
    "timeliness_ok": "Timeliness target met",
    "checked_runs": "Runs checked for quality",
    "quality_breaches": "Runs over the bad-record limit",
    "unreported_runs": "Successful runs without record counts",
    "quality_ok": "Quality target met",
    "critical_incidents": "Critical incidents",
    "ack_breaches": "Acknowledgements too late",
    "resolution_breaches": "Fixes too late",
    "response_ok": "Response target met",
    "compliant": "Compliant",
}


def this_month() -> date:
    return first_of_month(timezone.now().date())


def month_key(month: date) -> str:
    """How a month appears in SLA URLs: 2026-11."""
    return f"{month:%Y-%m}"


def month_or_404(text: str) -> date:
    try:
        return parse_month(text)
    except ValueError as error:
        raise Http404(str(error)) from None


class MonthInUrl:
    """For views under `/sla/<YYYY-MM>/`: the month reaches the handler as a date; a malformed one is a 404."""

    def dispatch(self, request, *args, **kwargs):
        kwargs["month"] = self.kwargs["month"] = month_or_404(kwargs["month"])
        return super().dispatch(request, *args, **kwargs)


def percent_text(value: Decimal) -> str:
    """99.500 → "99.5", 100.000 → "100": the policy's numbers as people write them."""
    return f"{value.normalize():f}"


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


# --- trend charts --------------------------------------------------------------------------------

SPARK_WIDTH = 132
SPARK_HEIGHT = 30
SPARK_PAD = 3

BAR_SLOT = 52
BAR_WIDTH = 30
CHART_TOP = 18  # room for the "7/8" above each bar
CHART_PLOT = 110
CHART_HEIGHT = CHART_TOP + CHART_PLOT + 32  # and two lines of month labels below


@dataclass(frozen=True)
class SparkPoint:
    x: float
    y: float
    month: date
    pct: Decimal
    ok: bool


@dataclass(frozen=True)
class Sparkline:
    """A pipeline's availability over the trend months; a month without a report breaks the line."""

    lines: tuple[str, ...]
    dots: tuple[SparkPoint, ...]
    target_y: float
    label: str
    width: int = SPARK_WIDTH
    height: int = SPARK_HEIGHT


def availability_sparkline(months: list[date], values: dict[date, tuple[Decimal, bool]], target: Decimal) -> Sparkline:
    """Each sparkline has its own scale (from just below its lowest point, or the target, up to 100 %)
    so a dip from 100 to 99 % shows; the dashed target line keeps the scales readable."""
    reported = [(month, *values[month]) for month in months if month in values]
    low = min([target, *(pct for _, pct, _ in reported)])
    # Leave a margin below the lowest point so a dip never sits on the frame.
    low = max(Decimal(0), low - max((Decimal(100) - low) / 5, Decimal("0.1")))
    step = (SPARK_WIDTH - 2 * SPARK_PAD) / max(len(months) - 1, 1)

    def y(pct: Decimal) -> float:
        return round(SPARK_PAD + float((Decimal(100) - pct) / (Decimal(100) - low)) * (SPARK_HEIGHT - 2 * SPARK_PAD), 1)

    segments: list[list[SparkPoint]] = [[]]
    for index, month in enumerate(months):
        if month not in values:
            segments.append([])
            continue
        pct, ok = values[month]
        segments[-1].append(SparkPoint(round(SPARK_PAD + index * step, 1), y(pct), month, pct, ok))
    segments = [segment for segment in segments if segment]
    last = segments[-1][-1] if segments else None
    return Sparkline(
        lines=tuple(" ".join(f"{p.x},{p.y}" for p in segment) for segment in segments if len(segment) > 1),
        # Dots where a line alone would hide a point: lone months, misses and the latest month.
        dots=tuple(p for segment in segments for p in segment if len(segment) == 1 or not p.ok or p is last),
        target_y=y(target),
        label=_sparkline_label(months, reported, target),
    )


def _sparkline_label(months: list[date], reported: list[tuple[date, Decimal, bool]], target: Decimal) -> str:
    span = f"{months[0]:%b %Y} to {months[-1]:%b %Y}"
    if not reported:
        return f"Availability {span}: no figures."
    latest_month, latest_pct, _ = reported[-1]
    low_month, low_pct, _ = min(reported, key=lambda item: item[1])
    missed = [month for month, _, ok in reported if not ok]
    return (
        f"Availability {span}: {len(reported)} of {len(months)} months computed; "
        f"latest {latest_pct} % ({latest_month:%b %Y}), lowest {low_pct} % ({low_month:%b %Y}); "
        f"{len(missed)} month{'s' if len(missed) != 1 else ''} below the {percent_text(target)} % target"
        + (f" ({', '.join(f'{month:%b %Y}' for month in missed)})." if missed else ".")
    )


@dataclass(frozen=True)
class ComplianceBar:
    month: date
    compliant: int
    total: int
    x: int
    total_y: float
    total_height: float
    compliant_y: float
    compliant_height: float
    show_year: bool

    @property
    def centre(self) -> int:
        return self.x + BAR_WIDTH // 2

    @property
    def count_y(self) -> float:
        return round(self.total_y - 4, 1)


@dataclass(frozen=True)
class ComplianceChart:
    """Compliant pipelines per month: a pale bar for every pipeline computed, a dark one for the compliant."""

    bars: tuple[ComplianceBar, ...]
    label: str
    bar_width: int = BAR_WIDTH
    width: int = TREND_MONTHS * BAR_SLOT
    height: int = CHART_HEIGHT
    baseline: int = CHART_TOP + CHART_PLOT
    label_y: int = CHART_TOP + CHART_PLOT + 14
    year_y: int = CHART_TOP + CHART_PLOT + 28


def compliance_chart(months: list[date], counts: dict[date, tuple[int, int]]) -> ComplianceChart:
    """`counts` maps a month to (compliant, total); months not computed get no bar."""
    scale = max((total for _, total in counts.values()), default=0) or 1
    bars = []
    baseline = CHART_TOP + CHART_PLOT
    for index, month in enumerate(months):
        compliant, total = counts.get(month, (0, 0))
        total_height = round(CHART_PLOT * total / scale, 1)
        compliant_height = round(CHART_PLOT * compliant / scale, 1)
        bars.append(
            ComplianceBar(
                month=month,
                compliant=compliant,
                total=total,
                x=index * BAR_SLOT + (BAR_SLOT - BAR_WIDTH) // 2,
                total_y=baseline - total_height,
                total_height=total_height,
                compliant_y=baseline - compliant_height,
                compliant_height=compliant_height,
                show_year=index == 0 or month.month == 1,
            )
        )
    parts = [f"{bar.month:%b %Y} {bar.compliant} of {bar.total}" for bar in bars if bar.total]
    label = (
        f"Compliant pipelines per month, {months[0]:%b %Y} to {months[-1]:%b %Y}: "
        + ("; ".join(parts) if parts else "no month computed")
        + (f"; {len(months) - len(parts)} months not computed." if len(parts) < len(months) else ".")
    )
    return ComplianceChart(bars=tuple(bars), label=label)


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


class SlaSignOffForm(forms.Form):
    """What the operations meeting records when it signs a month off."""

    notes = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=SlaReview._meta.get_field("notes").max_length,
    )
    action_items = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=SlaReview._meta.get_field("action_items").max_length,
        help_text="One per line.",
    )


def current_month(request: HttpRequest) -> HttpResponseRedirect:
    """`/sla/`: this month (UTC) to date."""
    return redirect("sla:month", month=month_key(this_month()))


class SlaMonthView(MonthInUrl, TemplateView):
    """`/sla/<YYYY-MM>/`: every pipeline × the four dimensions, trends, escalations and the sign-off."""

    template_name = "sla/month.html"

    def get_context_data(self, **kwargs):
        month: date = self.kwargs["month"]
        current = this_month()
        dashboard = sla_dashboard(month)
        return super().get_context_data(
            dashboard=dashboard,
            # The policy's changes, and the sign-off of this month.
            changes=history_of({"sla_policy": None, "sla_review": [dashboard.review.pk] if dashboard.review else []}),
            previous_month=add_months(month, -1),
            # Figures for a month that has not started cannot exist.
            next_month=add_months(month, 1) if month < current else None,
            started=month <= current,
            can_manage=is_manager(self.request.user),
            sign_off_form=SlaSignOffForm(),
            **kwargs,
        )


# --- drill-down ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class IncidentBreach:
    incident_id: int
    title: str
    url: str | None
    detected_at: datetime
    deadline: datetime
    actual: datetime | None


@dataclass(frozen=True)
class ReportLists:
    """The stored `details` JSON of a report, with its dates and times parsed back."""

    failed_occurrences: list[dict]
    unmatched_runs: list[dict]
    late_days: list[dict]
    quality_breaches: list[dict]
    unreported_runs: list[dict]
    ack_breaches: list[IncidentBreach]
    resolution_breaches: list[IncidentBreach]

    @property
    def empty(self) -> bool:
        return not any(
            (
                self.failed_occurrences,
                self.unmatched_runs,
                self.late_days,
                self.quality_breaches,
                self.unreported_runs,
                self.ack_breaches,
                self.resolution_breaches,
            )
        )


def _moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _percent(part: int, whole: int) -> Decimal | None:
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.001")) if whole else None


def _with_moments(rows: list[dict], *names: str) -> list[dict]:
    return [row | {name: _moment(row.get(name)) for name in names} for row in rows]


def incident_url(incident_id: int) -> str | None:
    """The incident's page, when the incidents pages are installed."""
    try:
        return reverse("incidents:incident-detail", args=[incident_id])
    except NoReverseMatch:
        return None


def report_lists(details: dict, titles: dict[int, str]) -> ReportLists:
    def incidents(rows: list[dict]) -> list[IncidentBreach]:
        return [
            IncidentBreach(
                incident_id=row["incident_id"],
                title=titles.get(row["incident_id"], ""),
                url=incident_url(row["incident_id"]),
                detected_at=_moment(row["detected_at"]),
                deadline=_moment(row["deadline"]),
                actual=_moment(row.get("actual")),
            )
            for row in rows
        ]

    return ReportLists(
        failed_occurrences=_with_moments(details.get("failed_occurrences", []), "scheduled_for"),
        unmatched_runs=_with_moments(details.get("unmatched_runs", []), "scheduled_for"),
        late_days=[
            row | {"day": date.fromisoformat(row["day"]), "delivered_at": _moment(row.get("delivered_at"))}
            for row in details.get("late_days", [])
        ],
        quality_breaches=[
            row | {"bad_pct": _percent(row["bad_records"], row["records_total"])}
            for row in _with_moments(details.get("quality_breaches", []), "scheduled_for")
        ],
        unreported_runs=_with_moments(details.get("unreported_runs", []), "scheduled_for"),
        ack_breaches=incidents(details.get("ack_breaches", [])),
        resolution_breaches=incidents(details.get("resolution_breaches", [])),
    )


def _incident_ids(*details: dict) -> set[int]:
    return {
        row["incident_id"]
        for detail in details
        for key in ("ack_breaches", "resolution_breaches")
        for row in detail.get(key, [])
    }


@dataclass(frozen=True)
class FigureRow:
    name: str
    label: str
    value: object
    latest: object
    changed: bool


def figure_rows(report: SlaReport) -> list[FigureRow]:
    """Each figure as stored (frozen once signed off) beside the latest computation, if it differs."""
    latest = report.latest if report.changed_since_review else {}
    rows = []
    for name in SLA_FIGURES:
        value = getattr(report, name)
        newer = latest.get(name, value)
        # `latest` is JSON: the percentage comes back as a string.
        if isinstance(value, Decimal) and newer is not None:
            newer = Decimal(str(newer))
        rows.append(FigureRow(name, FIGURE_LABELS.get(name, name), value, newer, newer != value))
    return rows


class SlaPipelineView(MonthInUrl, TemplateView):
    """`/sla/<YYYY-MM>/<slug>/`: one pipeline's figures and every occurrence, day, run and incident behind them."""

    template_name = "sla/pipeline.html"

    def get_context_data(self, **kwargs):
        month: date = self.kwargs["month"]
        report = get_object_or_404(
            SlaReport.objects.select_related("pipeline"), month=month, pipeline__slug=self.kwargs["slug"]
        )
        latest_details = report.latest.get("details", {}) if report.changed_since_review else {}
        review = SlaReview.objects.select_related("reviewer").filter(month=month).first()
        titles = dict(
            Incident.objects.filter(pk__in=_incident_ids(report.details, latest_details)).values_list("pk", "title")
        )
        # `month` and `slug` reach the template from the URL through **kwargs.
        return super().get_context_data(
            report=report,
            pipeline=report.pipeline,
            review=review,
            action_items=review_action_items(review),
            figures=figure_rows(report),
            lists=report_lists(report.details, titles),
            latest_lists=report_lists(latest_details, titles) if latest_details else None,
            **kwargs,
        )


# --- CSV -----------------------------------------------------------------------------------------


def _cell(value: object) -> object:
    if isinstance(value, bool):
        return "true" if value else "false"
    # A spreadsheet would run a name starting with = + - @ as a formula.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return f"'{value}"
    return value


def sla_month_csv(request: HttpRequest, month: str) -> HttpResponse:
    """`/sla/<YYYY-MM>/export.csv`: one row per pipeline with every figure (the frozen ones once signed off)."""
    month = month_or_404(month)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="sla-{month:%Y-%m}.csv"'
    writer = csv.writer(response)
    writer.writerow(["month", "pipeline", "name", *SLA_FIGURES, "final", "changed_since_review"])
    reports = SlaReport.objects.filter(month=month).select_related("pipeline").defer("details", "latest")
    for report in reports.order_by("pipeline__name"):
        writer.writerow(
            _cell(value)
            for value in (
                f"{month:%Y-%m}",
                report.pipeline.slug,
                report.pipeline.name,
                *(getattr(report, name) for name in SLA_FIGURES),
                report.final,
                report.changed_since_review,
            )
        )
    return response


# --- sign-off and recompute (managers) -----------------------------------------------------------


class ManagerPostView(View):
    """A POST-only action for managers; everyone else gets 403."""

    http_method_names = ["post"]

    def dispatch(self, request, *args, **kwargs):
        if not is_manager(request.user):
            raise PermissionDenied("Only managers do this.")
        return super().dispatch(request, *args, **kwargs)


class SlaSignOffView(MonthInUrl, ManagerPostView):
    """POST `/sla/<YYYY-MM>/sign-off/`: the meeting signs the month off, freezing its figures."""

    def post(self, request: HttpRequest, month: date) -> HttpResponse:
        form = SlaSignOffForm(request.POST)
        reviewer = getattr(request.user, "team_member", None)
        if reviewer is None:
            # The review names a team member; a staff account without one cannot sign.
            messages.error(request, "Signing off records you as the reviewer, and your account is not a team member.")
        elif form.is_valid():
            try:
                sla_month_sign_off(month=month, reviewer=reviewer, **form.cleaned_data)
            except ValidationError as error:
                for text in error.messages:
                    messages.error(request, text)
            else:
                messages.success(request, f"{month:%B %Y} is signed off; its figures are frozen.")
        return redirect("sla:month", month=month_key(month))


class SlaRecomputeView(MonthInUrl, ManagerPostView):
    """POST `/sla/<YYYY-MM>/recompute/`: queue the month's computation and follow it on the job page."""

    def post(self, request: HttpRequest, month: date) -> HttpResponse:
        if month > this_month():
            messages.error(request, f"{month:%B %Y} has not started yet.")
            return redirect("sla:month", month=month_key(month))
        # The id is chosen here so the job page can be shown before the task has even started.
        task_id = str(uuid4())
        # Nothing is written here, so the job is queued at once and an unreachable broker is reported.
        if not task_enqueue(compute_sla_month, args=(month.isoformat(),), task_id=task_id):
            messages.error(
                request,
                f"The recomputation of {month:%B %Y} could not be queued: the job queue is unavailable. "
                "Nothing was changed; try again in a few minutes.",
            )
            return redirect("sla:month", month=month_key(month))
        return redirect(f"{reverse('sla:job', kwargs={'task_id': task_id})}?month={month_key(month)}")


# --- job progress --------------------------------------------------------------------------------

JOB_LABELS = {
    states.PENDING: "Waiting for a worker to pick the job up.",
    states.RECEIVED: "A worker has received the job.",
    states.STARTED: "Computing the figures…",
    "PROGRESS": "Computing the figures…",
    states.RETRY: "The job failed and will be retried.",
    states.SUCCESS: "Done.",
    states.FAILURE: "The computation failed; the worker's log has the details.",
    states.REVOKED: "The job was cancelled.",
}


@dataclass(frozen=True)
class JobStatus:
    task_id: str
    state: str
    month: date | None
    pipelines: int | None

    @property
    def done(self) -> bool:
        return self.state in states.READY_STATES

    @property
    def ok(self) -> bool:
        return self.state == states.SUCCESS

    @property
    def label(self) -> str:
        label = JOB_LABELS.get(self.state, self.state.title())
        if self.ok and self.pipelines is not None:
            return f"Done: figures for {self.pipelines} pipeline{'s' if self.pipelines != 1 else ''}."
        return label

    @property
    def month_url(self) -> str | None:
        return reverse("sla:month", kwargs={"month": month_key(self.month)}) if self.month else None

    def as_json(self) -> dict:
        return {
            "task_id": self.task_id,
            "state": self.state,
            "label": self.label,
            "done": self.done,
            "ok": self.ok,
            "month": month_key(self.month) if self.month else None,
            "month_url": self.month_url,
        }


def job_status(task_id: str, month_text: str) -> JobStatus:
    """The task's state from the result backend; the month comes from the link, else the task's progress."""
    result = AsyncResult(task_id)
    state, info = result.state, result.info
    month = None
    try:
        month = parse_month(month_text)
    except ValueError:
        if isinstance(info, dict) and info.get("month"):
            month = first_of_month(date.fromisoformat(info["month"]))
    return JobStatus(
        task_id=task_id,
        state=state,
        month=month,
        pipelines=info if state == states.SUCCESS and isinstance(info, int) else None,
    )


def sla_job(request: HttpRequest, task_id: str) -> HttpResponse:
    """`/sla/jobs/<task_id>/`: a recompute's progress; `?format=json` for the page's polling script."""
    try:
        task_id = str(UUID(task_id))
    except ValueError:
        raise Http404("No such job.") from None
    job = job_status(task_id, request.GET.get("month", ""))
    if request.GET.get("format") == "json":
        return JsonResponse(job.as_json())
    return render(request, "sla/job.html", {"job": job})
