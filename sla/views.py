"""The monthly SLA review pages: dashboard, per-pipeline drill-down, CSV export, sign-off and recompute jobs.

Figures are computed by `services.sla_month_compute` (nightly, or on demand through a Celery job);
these pages only read the stored `SlaReport` rows, so the dashboard costs the same few queries
whatever the number of pipelines (`dashboard.sla_dashboard`).
"""

import csv
from dataclasses import dataclass
from datetime import date, datetime
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
from oncall.permissions import acting_member, is_manager
from oncall.queueing import task_enqueue

from .charts import counted
from .dashboard import escalation_lines, review_action_items, sla_dashboard, sla_print_sheet
from .forms import SlaDashboardFilterForm
from .models import SlaReport, SlaReview
from .services import SLA_FIGURES, sla_month_sign_off
from .tasks import compute_sla_month

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


def query_without(request: HttpRequest, *names: str) -> str:
    """The request's query string without `names`, ready to take more parameters: "q=orders&" or "".

    For links repeated down a table, where `{% querystring %}` would rebuild the query once per link.
    """
    query = request.GET.copy()
    for name in names:
        query.pop(name, None)
    encoded = query.urlencode()
    return f"{encoded}&" if encoded else ""


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
    """`/sla/<YYYY-MM>/`: the pipelines that need attention, a summary per downstream team, trends,
    escalations and the sign-off; `?layout=print` is the meeting's sheet with every pipeline."""

    template_name = "sla/month.html"

    def get_template_names(self):
        return ["sla/month_print.html"] if self.printing else [self.template_name]

    @property
    def printing(self) -> bool:
        return self.request.GET.get("layout") == "print"

    def get_context_data(self, **kwargs):
        month: date = self.kwargs["month"]
        current = this_month()
        if self.printing:
            sheet = sla_print_sheet(month)
            return super().get_context_data(sheet=sheet, **kwargs)
        filter_form = SlaDashboardFilterForm(self.request.GET, member=acting_member(self.request.user))
        dashboard = sla_dashboard(month, filter_form.filters(), self.request.GET.get("page"))
        return super().get_context_data(
            dashboard=dashboard,
            filter_form=filter_form,
            page_obj=dashboard.page,
            paginator=dashboard.page.paginator,
            is_paginated=dashboard.page.has_other_pages(),
            # The policy's changes, and the sign-off of this month.
            changes=history_of({"sla_policy": None, "sla_review": [dashboard.review.pk] if dashboard.review else []}),
            # Each team's counts link to its pipelines: the filters kept, the team and the list replaced.
            team_query=query_without(self.request, "team", "show", "page"),
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
            escalations=escalation_lines(month, pipeline_id=report.pipeline_id),
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
        reviewer = acting_member(request.user)
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
            return f"Done: figures for {counted(self.pipelines, 'pipeline')}."
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
