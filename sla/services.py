"""Writes of the SLA: its policy, each month's figures and their escalation, and the sign-off."""

import json
from collections import defaultdict
from dataclasses import fields, is_dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from incidents.models import Communication, Incident
from oncall import notifications
from oncall.bulk import bulk_insert
from oncall.calendar import team_business_hours
from oncall.models import TeamMember
from oncall.months import first_of_month, month_bounds
from oncall.services import ImportSummary, assign_changed_fields
from pipelines.models import Pipeline, SlaPolicy
from pipelines.plan import SlaFigures

from . import rules
from .choices import Dimension
from .facts import RunFacts, run_facts
from .models import SlaEscalation, SlaReport, SlaReview

# --- the SLA policy ------------------------------------------------------------------------------


@transaction.atomic
def sla_policy_update_from_plan(*, figures: SlaFigures, summary: ImportSummary) -> SlaPolicy:
    """Store the plan's SLA figures in the policy (created on first import, updated in place after)."""
    existing = SlaPolicy.objects.order_by("pk").first()
    policy = existing or SlaPolicy()
    changed = assign_changed_fields(
        policy,
        {
            "availability_target": figures.availability_pct,
            "deadline": figures.deadline,
            "deadline_timezone": figures.deadline_timezone,
            "delay_threshold": figures.delay_threshold,
            "bad_records_pct": figures.bad_records_pct,
            "critical_fields": list(figures.critical_fields),
            "acknowledge_minutes": figures.acknowledge_minutes,
            "resolution": timedelta(hours=figures.resolution_hours),
        },
    )
    if existing is None or changed:
        policy.full_clean()
        policy.save()
    summary.record("SLA policy", "SLA policy", created=existing is None, changed=changed)
    return policy


@transaction.atomic
def sla_policy_update(*, values: dict) -> SlaPolicy:
    """Change the SLA's figures; they apply to the next computation, not to the months already stored."""
    policy = SlaPolicy.objects.select_for_update().get(pk=SlaPolicy.current().pk)
    if assign_changed_fields(policy, values):
        policy.full_clean()
        policy.save()
    return policy


# --- the monthly SLA -----------------------------------------------------------------------------

SLA_FIGURES = tuple(f.name for f in fields(rules.MonthlySla) if f.name != "details")
DIMENSION_OK = {
    Dimension.AVAILABILITY: "availability_ok",
    Dimension.TIMELINESS: "timeliness_ok",
    Dimension.QUALITY: "quality_ok",
    Dimension.RESPONSE: "response_ok",
}


def policy_values(policy: SlaPolicy) -> rules.SlaPolicy:
    return rules.SlaPolicy(
        availability_target=policy.availability_target,
        deadline=policy.deadline,
        deadline_timezone=policy.deadline_timezone,
        delay_threshold=policy.delay_threshold,
        bad_records_pct=policy.bad_records_pct,
        acknowledge_minutes=policy.acknowledge_minutes,
        resolution=policy.resolution,
    )


_ENCODER = DjangoJSONEncoder()
_JSON_SCALARS = (str, int, float, bool, type(None))  # exactly these types; subclasses such as enums are converted


def as_json(value):
    """The stored lists behind the figures, as plain JSON values: the SLA module's (flat) dataclasses as
    objects, and dates, times and decimals as Django's JSON encoder writes them.

    The same values `json.loads(json.dumps(value, cls=DjangoJSONEncoder))` gives, without writing and
    parsing a thousand pipelines' lists as text.
    """
    if type(value) in _JSON_SCALARS:
        return value
    if isinstance(value, bool | int | float | str):  # an enum member: its plain value, as JSON writes it
        return json.loads(json.dumps(value))
    if is_dataclass(value):
        return {field.name: as_json(getattr(value, field.name)) for field in fields(value)}
    if isinstance(value, list | tuple):
        return [as_json(item) for item in value]
    if isinstance(value, dict):
        return {str(key): as_json(item) for key, item in value.items()}
    return _ENCODER.default(value)


@transaction.atomic
def sla_month_compute(*, month: date, now: datetime | None = None) -> list[SlaReport]:
    """Compute every pipeline's figures for a calendar month (UTC) as of `now` and store them.

    A month the operations meeting signed off keeps its frozen figures; new ones that differ are kept
    beside them and the report is marked "changed since review". The first breach of each dimension in
    a pipeline-month is escalated once. Running it twice with the same data changes nothing.
    """
    now = now or timezone.now()
    month = first_of_month(month)
    start, end = month_bounds(month.year, month.month)
    if start > now:
        raise ValidationError({"month": "That month has not started yet."})
    policy_row = SlaPolicy.current()
    policy = policy_values(policy_row)
    hours = team_business_hours(start, end, opens=policy_row.business_opens, closes=policy_row.business_closes)
    # The rules read the schedule; escalations name the pipeline and its downstream team. The runbook's
    # text and relations would only slow a thousand-pipeline month down.
    pipelines = list(
        Pipeline.objects.select_related("critical_downstream_team").only(
            "name", "slug", "schedule", "critical_downstream_team"
        )
    )
    facts = run_facts(pipelines, start, end, policy, now)
    incidents = defaultdict(list)
    for row in Incident.objects.detected_between(start, end).values(
        "pipeline_id", "id", "severity", "detected_at", "acknowledged_at", "mitigated_at", "resolved_at"
    ):
        incidents[row.pop("pipeline_id")].append(rules.IncidentFact(**row))
    notice_days = defaultdict(set)
    for pipeline_id, day in Communication.objects.filter(day__gte=start.date(), day__lt=end.date()).values_list(
        "pipeline_id", "day"
    ):
        notice_days[pipeline_id].add(day)
    reviewed = SlaReview.objects.filter(month=month).exists()
    escalated = set(SlaEscalation.objects.filter(month=month).values_list("pipeline_id", "dimension"))
    existing = {report.pipeline_id: report for report in SlaReport.objects.filter(month=month)}

    to_create, to_update, reports, results = [], [], [], []
    for pipeline in pipelines:
        pipeline_facts = facts.get(pipeline.pk) or RunFacts()
        result = rules.compute_month_from_facts(
            year=month.year,
            month=month.month,
            cron=pipeline.schedule,
            succeeded=pipeline_facts.succeeded,
            attempts=pipeline_facts.attempts,
            unmatched=pipeline_facts.unmatched,
            earliest=pipeline_facts.earliest,
            checked_runs=pipeline_facts.checked_runs,
            quality_candidates=pipeline_facts.candidates,
            incidents=incidents[pipeline.pk],
            notice_days=notice_days[pipeline.pk],
            holidays=hours.holidays,
            business_hours=hours,
            policy=policy,
            now=now,
        )
        figures = {name: getattr(result, name) for name in SLA_FIGURES}
        values = figures | {"details": as_json(result.details), "final": now >= end}
        report = existing.get(pipeline.pk)
        if report is None:
            report = SlaReport(pipeline=pipeline, month=month, computed_at=now, **values)
            to_create.append(report)
        elif reviewed:
            latest = as_json(result) if _differs(report, figures) else {}
            if assign_changed_fields(report, {"latest": latest, "changed_since_review": bool(latest)}):
                to_update.append(report)
        elif assign_changed_fields(report, values):
            report.computed_at = now
            to_update.append(report)
        reports.append(report)
        results.append((pipeline, result))
    bulk_insert(SlaReport, to_create)
    _escalate_breaches(month, results, escalated)
    SlaReport.objects.bulk_update(
        to_update, [*SLA_FIGURES, "details", "final", "computed_at", "latest", "changed_since_review"]
    )
    return reports


def _differs(report: SlaReport, figures: dict) -> bool:
    return any(getattr(report, name) != value for name, value in figures.items())


def _escalate_breaches(month: date, results: list[tuple[Pipeline, rules.MonthlySla]], escalated: set) -> None:
    """Email the Data Engineering Manager and the downstream lead the first time a dimension breaches.

    Every pipeline's escalations in a fixed number of queries. A computation running beside this one
    may escalate the same breach: the row is kept once and each person is emailed once (same key).
    """
    fresh = [
        (pipeline, dimension, result)
        for pipeline, result in results
        for dimension, ok_field in DIMENSION_OK.items()
        if not getattr(result, ok_field) and (pipeline.pk, dimension) not in escalated
    ]
    if not fresh:
        return
    managers = _manager_recipients()
    url = reverse("sla:month", kwargs={"month": f"{month:%Y-%m}"})
    escalations, emails = [], []
    for pipeline, dimension, result in fresh:
        recipients, missing = _escalation_recipients(pipeline, managers)
        escalations.append(
            SlaEscalation(
                pipeline=pipeline, month=month, dimension=dimension,
                recipients=[r.email for r in recipients], missing=missing,
            )
        )  # fmt: skip
        label = Dimension(dimension).label.lower()
        body = (
            f"{pipeline.name} breached its {label} target in {month:%B %Y}.\n"
            f"Figures so far: availability {result.availability_pct}% (budget left {result.error_budget_left}), "
            f"{result.late_days} late business days, {result.quality_breaches} runs over the bad-record limit, "
            f"{result.ack_breaches + result.resolution_breaches} incident response breaches."
        )
        emails += [
            notifications.Email(
                event=f"sla-escalation-{pipeline.pk}-{month:%Y-%m}-{dimension}",
                recipient=recipient,
                subject=f"SLA breached: {pipeline.name}, {label} in {month:%B %Y}",
                body=body,
                about=f"{pipeline.name} SLA {month:%Y-%m}",
                about_url=url,
            )
            for recipient in recipients
        ]
    bulk_insert(SlaEscalation, escalations, skip_existing=("pipeline", "month", "dimension"))
    notifications.notify_all(kind="incidents.sla-escalation", emails=emails)


def _manager_recipients() -> list[notifications.Recipient]:
    """The Data Engineering Manager: the setting, else the team leaders."""
    if settings.DATA_ENGINEERING_MANAGER_EMAIL:
        return [notifications.Recipient(settings.DATA_ENGINEERING_MANAGER_EMAIL)]
    return notifications.recipients_of(TeamMember.objects.managers())


def _escalation_recipients(
    pipeline: Pipeline, managers: list[notifications.Recipient]
) -> tuple[list[notifications.Recipient], str]:
    """The Data Engineering Manager and the downstream team's lead, and who has no address on file."""
    recipients = list(managers)
    missing = [] if managers else ["no Data Engineering Manager address"]
    team = pipeline.critical_downstream_team
    if team is not None:
        if team.lead_email:
            recipients.append(notifications.Recipient(team.lead_email))
        else:
            missing.append(f"no lead on file for the {team.name} team")
    return recipients, "; ".join(missing)


@transaction.atomic
def sla_month_sign_off(
    *, month: date, reviewer: TeamMember, notes: str = "", action_items: str = "", now: datetime | None = None
) -> SlaReview:
    """The operations meeting signs a month off: its current figures are frozen from now on."""
    now = now or timezone.now()
    month = first_of_month(month)
    if SlaReview.objects.select_for_update().filter(month=month).exists():
        raise ValidationError({"month": f"{month:%B %Y} is already signed off."})
    if not SlaReport.objects.filter(month=month).exists():
        raise ValidationError({"month": f"{month:%B %Y} has no figures yet: compute it first."})
    review = SlaReview(month=month, reviewer=reviewer, signed_at=now, notes=notes, action_items=action_items)
    review.full_clean()
    review.save()
    return review
