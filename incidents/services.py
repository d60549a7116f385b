"""Writes and rules about incidents, communications, the SLA policy and the monthly SLA review."""

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import Count, DecimalField, F, Min, Q
from django.db.models.functions import Cast, Coalesce, TruncDate
from django.urls import reverse
from django.utils import timezone

from oncall import notifications
from oncall.business_hours import BusinessHours, add_business_minutes
from oncall.models import Notification, TeamMember
from oncall.months import first_of_month
from oncall.services import ImportSummary, assign_changed_fields, on_call_at, team_business_hours
from pipelines import deliveries
from pipelines import services as pipeline_services
from pipelines.choices import RunStatus
from pipelines.models import Pipeline, Run
from pipelines.plan import SlaFigures
from pipelines.services import downstream_pipelines, owners_of

from . import paging, sla
from .choices import Channel, Dimension, IncidentStatus, Severity
from .exceptions import IncidentStepError
from .models import Communication, Incident, IncidentNote, SlaEscalation, SlaPolicy, SlaReport, SlaReview

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


def business_hours_for(policy: SlaPolicy, *instants: datetime) -> BusinessHours:
    """The acknowledgement clock's hours, with the holidays of every year the instants touch (and the next)."""
    years = {instant.year for instant in instants} or {timezone.now().year}
    return team_business_hours(
        years=range(min(years) - 1, max(years) + 2), opens=policy.business_opens, closes=policy.business_closes
    )


@dataclass(frozen=True)
class Deadlines:
    acknowledge: datetime | None  # only critical incidents have one
    resolve: datetime | None


def incident_deadlines(incident: Incident, policy: SlaPolicy | None = None) -> Deadlines:
    """Critical incidents: acknowledge within N business minutes, work around or fix within the wall-clock limit."""
    return incident_deadlines_for([incident], policy)[incident.pk]


def incident_deadlines_for(incidents: Iterable[Incident], policy: SlaPolicy | None = None) -> dict[int, Deadlines]:
    """`incident_deadlines` for many incidents at once, keyed by id: the calendar is read once for all."""
    incidents = list(incidents)
    deadlines = {incident.pk: Deadlines(None, None) for incident in incidents}
    critical = [incident for incident in incidents if incident.severity == Severity.CRITICAL]
    if not critical:
        return deadlines
    policy = policy or SlaPolicy.current()
    hours = business_hours_for(policy, *(incident.detected_at for incident in critical))
    for incident in critical:
        deadlines[incident.pk] = Deadlines(
            add_business_minutes(incident.detected_at, policy.acknowledge_minutes, hours),
            incident.detected_at + policy.resolution,
        )
    return deadlines


# --- incidents -----------------------------------------------------------------------------------


@transaction.atomic
def incident_open(
    *,
    pipeline: Pipeline | None,
    title: str,
    severity: str,
    detected_at: datetime,
    description: str = "",
    opened_by: TeamMember | None = None,
    assignee: TeamMember | None = None,
    automatic: bool = False,
    now: datetime | None = None,
) -> Incident:
    """Record an incident and tell the on-call member, the pipeline's owners and the owners downstream.

    The assignee defaults to whoever was on call when the incident was detected.
    """
    now = now or timezone.now()
    if detected_at > now:
        raise IncidentStepError({"detected_at": "The detection time cannot be in the future."})
    incident = Incident(
        pipeline=pipeline,
        title=title,
        severity=severity,
        detected_at=detected_at,
        description=description,
        opened_by=opened_by,
        assignee=assignee or on_call_at(detected_at),
        automatic=automatic,
    )
    # The table's constraints are about steps a new incident has not taken yet; checking them here
    # would cost a query each on every page the portal opens. The database still enforces them.
    incident.full_clean(validate_constraints=False)
    incident.save()
    IncidentNote.objects.create(
        incident=incident, at=now, author=opened_by, text="Incident opened.", status_change=IncidentStatus.OPEN
    )
    _notify_opened(incident)
    return incident


def _notify_opened(incident: Incident) -> None:
    if incident.pipeline_id is None:
        _notify_team_incident_opened(incident)
        return
    pipeline = Pipeline.objects.with_owners().get(pk=incident.pipeline_id)
    downstream = downstream_pipelines(pipeline)
    people = [incident.assignee] if incident.assignee else []
    people += owners_of([pipeline]) + owners_of(downstream)
    body = (
        f"{incident.get_severity_display()} incident on {pipeline.name}: {incident.title}\n"
        f"Detected at {incident.detected_at:%Y-%m-%d %H:%M %Z}.\n"
        f"Assigned to {incident.assignee.name if incident.assignee else 'nobody yet'}.\n"
        f"Runbook: {notifications.absolute_url(pipeline.get_absolute_url())}"
    )
    if downstream:
        body += "\nDownstream pipelines affected: " + ", ".join(p.name for p in downstream)
    paging.page(
        incident=incident,
        event=f"incident-{incident.pk}-opened",
        kind="incidents.opened",
        people=people,
        subject=f"[{incident.get_severity_display()}] {pipeline.name}: {incident.title}",
        body=body,
    )


def _notify_team_incident_opened(incident: Incident) -> None:
    """An incident about no known pipeline: the on-call member and the team leaders."""
    people = ([incident.assignee] if incident.assignee else []) + list(TeamMember.objects.managers())
    paging.page(
        incident=incident,
        event=f"incident-{incident.pk}-opened",
        kind="incidents.opened",
        people=people,
        subject=f"[{incident.get_severity_display()}] {incident.title}",
        body=(
            f"{incident.get_severity_display()} team incident: {incident.title}\n"
            f"Detected at {incident.detected_at:%Y-%m-%d %H:%M %Z}.\n"
            f"Assigned to {incident.assignee.name if incident.assignee else 'nobody yet'}."
        ),
    )


STEPS = {
    # step: (status it sets, time field, person field, statuses it may follow)
    "acknowledge": (IncidentStatus.ACKNOWLEDGED, "acknowledged_at", "acknowledged_by", {IncidentStatus.OPEN}),
    "mitigate": (
        IncidentStatus.MITIGATED,
        "mitigated_at",
        "mitigated_by",
        {IncidentStatus.OPEN, IncidentStatus.ACKNOWLEDGED},
    ),
    "resolve": (
        IncidentStatus.RESOLVED,
        "resolved_at",
        "resolved_by",
        {IncidentStatus.OPEN, IncidentStatus.ACKNOWLEDGED, IncidentStatus.MITIGATED},
    ),
}


@transaction.atomic
def incident_step(
    *,
    incident_id: int,
    step: str,
    member: TeamMember,
    at: datetime | None = None,
    note: str = "",
    now: datetime | None = None,
) -> Incident:
    """Acknowledge, mitigate or resolve an incident, now or at an earlier `at` (recorded after the fact).

    `at` is never in the future nor before the step before. Mitigating or resolving an incident nobody
    acknowledged also acknowledges it at that moment: whoever fixed it had clearly seen it.
    """
    now = now or timezone.now()
    at = at or now
    status, time_field, person_field, allowed = STEPS[step]
    incident = Incident.objects.select_for_update().get(pk=incident_id)
    if incident.status not in allowed:
        raise IncidentStepError({"status": f"The incident is already {incident.get_status_display().lower()}."})
    previous = max(t for t in (incident.detected_at, incident.acknowledged_at, incident.mitigated_at) if t)
    if at > now:
        raise IncidentStepError({"at": "That time is in the future."})
    if at < previous:
        raise IncidentStepError({"at": f"That is before the previous step ({previous:%Y-%m-%d %H:%M %Z})."})
    if incident.acknowledged_at is None:
        incident.acknowledged_at, incident.acknowledged_by = at, member
    setattr(incident, time_field, at)
    setattr(incident, person_field, member)
    incident.status = status
    incident.full_clean()
    incident.save()
    text = f"{member.name}: {incident.get_status_display()}."
    IncidentNote.objects.create(
        incident=incident, at=at, author=member, text=f"{text} {note}".strip(), status_change=status
    )
    return incident


@transaction.atomic
def incident_note_add(
    *, incident: Incident, author: TeamMember, text: str, now: datetime | None = None
) -> IncidentNote:
    note = IncidentNote(incident=incident, author=author, text=text, at=now or timezone.now())
    note.full_clean()
    note.save()
    return note


def incidents_escalate_silence(*, now: datetime | None = None) -> int:
    """Critical incidents still unacknowledged at their deadline: tell the secondary owner and the team leader, once.

    The Notification's unique key makes a second run (or a second worker) a no-op.
    """
    now = now or timezone.now()
    policy = SlaPolicy.current()
    escalated = 0
    # Bulk reads, so the every-minute job stays flat however many incidents are open.
    incidents = list(Incident.objects.critical().filter(status=IncidentStatus.OPEN).select_related("assignee"))
    deadlines = incident_deadlines_for(incidents, policy)
    due = [i for i in incidents if deadlines[i.pk].acknowledge is not None and deadlines[i.pk].acknowledge <= now]
    if not due:
        return 0
    told = Q()
    for incident in due:
        told |= Q(key__startswith=f"incident-{incident.pk}-unacknowledged:")
    already = {int(key.split("-", 2)[1]) for key in Notification.objects.filter(told).values_list("key", flat=True)}
    pipelines = Pipeline.objects.with_runbook_relations().in_bulk({i.pipeline_id for i in due if i.pipeline_id})
    managers = list(TeamMember.objects.managers())
    for incident in due:
        if incident.pk in already:
            continue
        deadline = deadlines[incident.pk].acknowledge
        pipeline = pipelines.get(incident.pipeline_id)
        people = [p for p in (pipeline and pipeline.secondary_owner,) if p] + managers
        where = f" on {pipeline.name}" if pipeline else ""
        sent = paging.page(
            incident=incident,
            event=f"incident-{incident.pk}-unacknowledged",
            kind="incidents.unacknowledged",
            people=people,
            subject=f"Unacknowledged critical incident{where}: {incident.title}",
            body=(
                f"Nobody has acknowledged this critical incident; it was due by {deadline:%Y-%m-%d %H:%M %Z}.\n"
                f"Assigned to {incident.assignee.name if incident.assignee else 'nobody'}."
            ),
        )
        escalated += bool(sent)
    return escalated


# --- communications ------------------------------------------------------------------------------


@transaction.atomic
def communication_log(
    *,
    pipeline: Pipeline,
    audience: str,
    message: str,
    channel: str,
    sent_by: TeamMember | None,
    incident: Incident | None = None,
    day=None,
    sent_at: datetime | None = None,
    now: datetime | None = None,
) -> Communication:
    """Record a message someone sent stakeholders about an incident or a delivery day."""
    now = now or timezone.now()
    sent_at = sent_at or now
    if sent_at > now:
        raise IncidentStepError({"sent_at": "That time is in the future."})
    if incident is not None and incident.pipeline_id != pipeline.pk:
        raise IncidentStepError({"incident": "That incident is about another pipeline."})
    communication = Communication(
        pipeline=pipeline,
        incident=incident,
        day=day,
        audience=audience,
        channel=channel,
        message=message,
        sent_at=sent_at,
        sent_by=sent_by,
    )
    communication.full_clean()
    communication.save()
    return communication


# --- the monthly SLA -----------------------------------------------------------------------------

SLA_FIGURES = tuple(f.name for f in fields(sla.MonthlySla) if f.name != "details")
DIMENSION_OK = {
    Dimension.AVAILABILITY: "availability_ok",
    Dimension.TIMELINESS: "timeliness_ok",
    Dimension.QUALITY: "quality_ok",
    Dimension.RESPONSE: "response_ok",
}


def policy_values(policy: SlaPolicy) -> sla.SlaPolicy:
    return sla.SlaPolicy(
        availability_target=policy.availability_target,
        deadline=policy.deadline,
        delay_threshold=policy.delay_threshold,
        bad_records_pct=policy.bad_records_pct,
        acknowledge_minutes=policy.acknowledge_minutes,
        resolution=policy.resolution,
    )


class SlaJSONEncoder(DjangoJSONEncoder):
    """Dates, decimals and the SLA module's (flat) dataclasses as JSON."""

    def default(self, o):
        if is_dataclass(o):
            return {f.name: getattr(o, f.name) for f in fields(o)}
        return super().default(o)


def as_json(value) -> dict:
    """The stored lists behind the figures, as plain JSON values."""
    return json.loads(json.dumps(value, cls=SlaJSONEncoder))


@transaction.atomic
def sla_month_compute(*, month: date, now: datetime | None = None) -> list[SlaReport]:
    """Compute every pipeline's figures for a calendar month (UTC) as of `now` and store them.

    A month the operations meeting signed off keeps its frozen figures; new ones that differ are kept
    beside them and the report is marked "changed since review". The first breach of each dimension in
    a pipeline-month is escalated once. Running it twice with the same data changes nothing.
    """
    now = now or timezone.now()
    month = first_of_month(month)
    start, end = sla.month_bounds(month.year, month.month)
    if start > now:
        raise ValidationError({"month": "That month has not started yet."})
    policy_row = SlaPolicy.current()
    policy = policy_values(policy_row)
    hours = business_hours_for(policy_row, start, end)
    pipelines = list(Pipeline.objects.with_runbook_relations())
    facts = _run_facts(pipelines, start, end, policy)
    incidents = defaultdict(list)
    for row in Incident.objects.detected_between(start, end).values(
        "pipeline_id", "id", "severity", "detected_at", "acknowledged_at", "mitigated_at", "resolved_at"
    ):
        incidents[row.pop("pipeline_id")].append(sla.IncidentFact(**row))
    notice_days = defaultdict(set)
    for pipeline_id, day in Communication.objects.filter(day__gte=start.date(), day__lt=end.date()).values_list(
        "pipeline_id", "day"
    ):
        notice_days[pipeline_id].add(day)
    reviewed = SlaReview.objects.filter(month=month).exists()
    escalated = set(SlaEscalation.objects.filter(month=month).values_list("pipeline_id", "dimension"))
    existing = {report.pipeline_id: report for report in SlaReport.objects.filter(month=month)}

    to_create, to_update, reports = [], [], []
    for pipeline in pipelines:
        pipeline_facts = facts.get(pipeline.pk) or _RunFacts()
        result = sla.compute_month_from_facts(
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
        _escalate_breaches(pipeline, month, result, escalated)
    SlaReport.objects.bulk_create(to_create)
    SlaReport.objects.bulk_update(
        to_update, [*SLA_FIGURES, "details", "final", "computed_at", "latest", "changed_since_review"]
    )
    return reports


@dataclass
class _RunFacts:
    """What the SLA rules read of one pipeline's runs in a month (see `sla.compute_month_from_facts`)."""

    succeeded: set[datetime] = field(default_factory=set)
    attempts: dict[datetime, list[tuple[int, str]]] = field(default_factory=dict)
    unmatched: list[sla.RunRef] = field(default_factory=list)
    earliest: dict[date, datetime] = field(default_factory=dict)
    checked_runs: int = 0
    candidates: list[sla.RunFact] = field(default_factory=list)


def _run_facts(
    pipelines: list[Pipeline], start: datetime, end: datetime, policy: sla.SlaPolicy
) -> dict[int, _RunFacts]:
    """Each pipeline's run facts for [start, end), with the database doing the per-run work.

    A month of hourly runs for a thousand pipelines is 720,000 rows; bringing them all over costs
    far more than the rules themselves, so only aggregates and the few runs named in details come back.
    """
    facts: defaultdict[int, _RunFacts] = defaultdict(_RunFacts)
    by_schedule: defaultdict[str, list[int]] = defaultdict(list)
    for pipeline in pipelines:
        by_schedule[pipeline.schedule].append(pipeline.pk)
    occurrences = {cron: sla.scheduled_occurrences(cron, start, end) for cron in by_schedule}
    if connection.vendor == "postgresql":
        _availability_facts_postgresql(facts, by_schedule, occurrences, start, end)
    else:
        _availability_facts_from_rows(facts, by_schedule, occurrences, start, end)
    _delivery_and_quality_facts(facts, start, end, policy)
    return facts


def _availability_facts_postgresql(
    facts: defaultdict[int, _RunFacts],
    by_schedule: dict[str, list[int]],
    occurrences: dict[str, list[datetime]],
    start: datetime,
    end: datetime,
) -> None:
    """Succeeded occurrences as arrays of integers, then only the failed attempts and unmatched runs."""
    schedule_of = {pk: cron for cron, pks in by_schedule.items() for pk in pks}
    # Epoch microseconds are exact for timestamptz and parse far faster than timestamps.
    by_micros = {cron: {_epoch_micros(moment): moment for moment in moments} for cron, moments in occurrences.items()}
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT pipeline_id,
                   array_agg((extract(epoch FROM scheduled_for) * 1000000)::bigint)
                       FILTER (WHERE status = %s)
            FROM {Run._meta.db_table}
            WHERE scheduled_for >= %s AND scheduled_for < %s
            GROUP BY pipeline_id
            """,
            [RunStatus.SUCCESS, start, end],
        )
        for pipeline_id, micros in cursor.fetchall():
            moments = by_micros.get(schedule_of.get(pipeline_id))
            if moments is None or not micros:
                continue
            facts[pipeline_id].succeeded = {moments[m] for m in micros if m in moments}
        # Runs named in the details: unmatched ones, by schedule (few; NOT = ANY is a hash probe).
        for cron, pks in by_schedule.items():
            cursor.execute(
                f"""
                SELECT pipeline_id, id, external_id, scheduled_for
                FROM {Run._meta.db_table}
                WHERE scheduled_for >= %s AND scheduled_for < %s
                  AND pipeline_id = ANY(%s) AND NOT (scheduled_for = ANY(%s))
                """,
                [start, end, pks, occurrences[cron]],
            )
            for pipeline_id, run_id, external_id, scheduled_for in cursor.fetchall():
                facts[pipeline_id].unmatched.append(sla.RunRef(run_id, external_id, scheduled_for))
    # An occurrence without a success has only failed or running attempts, so those are all it
    # can list; the ordering is the model's, as the full run list had.
    attempts = (
        Run.objects.in_window(start, end)
        .exclude(status=RunStatus.SUCCESS)
        .values_list("pipeline_id", "scheduled_for", "id", "status")
    )
    for pipeline_id, scheduled_for, run_id, status in attempts:
        facts[pipeline_id].attempts.setdefault(scheduled_for, []).append((run_id, status))


def _epoch_micros(moment: datetime) -> int:
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def _availability_facts_from_rows(
    facts: defaultdict[int, _RunFacts],
    by_schedule: dict[str, list[int]],
    occurrences: dict[str, list[datetime]],
    start: datetime,
    end: datetime,
) -> None:
    """The plain way, for databases without array aggregates (the small embedded SQLite)."""
    month_times = {pk: frozenset(occurrences[cron]) for cron, pks in by_schedule.items() for pk in pks}
    rows = Run.objects.in_window(start, end).values_list("pipeline_id", "id", "external_id", "scheduled_for", "status")
    for pipeline_id, run_id, external_id, scheduled_for, status in rows.iterator(chunk_size=20000):
        pipeline_facts = facts[pipeline_id]
        if scheduled_for not in month_times.get(pipeline_id, ()):
            pipeline_facts.unmatched.append(sla.RunRef(run_id, external_id, scheduled_for))
        elif status == RunStatus.SUCCESS:
            pipeline_facts.succeeded.add(scheduled_for)
        else:
            pipeline_facts.attempts.setdefault(scheduled_for, []).append((run_id, status))


def _delivery_and_quality_facts(
    facts: defaultdict[int, _RunFacts], start: datetime, end: datetime, policy: sla.SlaPolicy
) -> None:
    """Each UTC day's earliest delivery, the checked-run count, and the runs that may breach quality."""
    success = Q(status=RunStatus.SUCCESS)
    days = (
        Run.objects.in_window(start, end)
        .annotate(day=TruncDate("scheduled_for", tzinfo=UTC))
        .order_by()
        .values("pipeline_id", "day")
        .annotate(
            delivered=Min(Coalesce("data_available_at", "finished_at"), filter=success),
            checked=Count("id", filter=success & Q(records_total__isnull=False)),
        )
        .values_list("pipeline_id", "day", "delivered", "checked")
    )
    for pipeline_id, day, delivered, checked in days:
        pipeline_facts = facts[pipeline_id]
        pipeline_facts.checked_runs += checked
        if delivered is not None:
            pipeline_facts.earliest[day] = delivered
    # A prefilter a thousandth looser than the limit (bad x 100 x den >= total x num x 1000/1001), so
    # rounding where a database turns huge products into floats never drops a breach; the pure rule decides.
    numerator, denominator = Decimal(policy.bad_records_pct).as_integer_ratio()
    exact = DecimalField(max_digits=65, decimal_places=0)
    bad = Cast(Coalesce("records_dropped", 0), exact) + Cast(Coalesce("records_invalid", 0), exact)
    candidates = (
        Run.objects.in_window(start, end)
        .filter(success)
        .annotate(
            scaled_bad=bad * (100 * denominator * 1001),
            scaled_total=Cast(F("records_total"), exact) * (numerator * 1000),
        )
        .filter(Q(records_total__isnull=True) | Q(critical_nulls__gt=0) | Q(scaled_bad__gte=F("scaled_total")))
        .values_list(
            "id", "pipeline_id", "external_id", "scheduled_for", "status",
            "records_total", "records_dropped", "records_invalid", "critical_nulls",
        )
    )  # fmt: skip
    for run_id, pipeline_id, external_id, scheduled_for, status, total, dropped, invalid, nulls in candidates:
        facts[pipeline_id].candidates.append(
            sla.RunFact(run_id, external_id, scheduled_for, status, None, None, total, dropped, invalid, nulls)
        )


def _differs(report: SlaReport, figures: dict) -> bool:
    return any(getattr(report, name) != value for name, value in figures.items())


def _escalate_breaches(pipeline: Pipeline, month: date, result: sla.MonthlySla, escalated: set) -> None:
    """Email the Data Engineering Manager and the downstream lead the first time a dimension breaches."""
    for dimension, ok_field in DIMENSION_OK.items():
        if getattr(result, ok_field) or (pipeline.pk, dimension) in escalated:
            continue
        escalation, created = SlaEscalation.objects.get_or_create(pipeline=pipeline, month=month, dimension=dimension)
        if not created:
            continue
        recipients, missing = _escalation_recipients(pipeline)
        escalation.recipients = [r.email for r in recipients]
        escalation.missing = missing
        escalation.save(update_fields=["recipients", "missing"])
        notifications.notify(
            event=f"sla-escalation-{pipeline.pk}-{month:%Y-%m}-{dimension}",
            kind="incidents.sla-escalation",
            recipients=recipients,
            subject=f"SLA breached: {pipeline.name}, {Dimension(dimension).label.lower()} in {month:%B %Y}",
            body=(
                f"{pipeline.name} breached its {Dimension(dimension).label.lower()} target in {month:%B %Y}.\n"
                f"Figures so far: availability {result.availability_pct}% (budget left {result.error_budget_left}), "
                f"{result.late_days} late business days, {result.quality_breaches} runs over the bad-record limit, "
                f"{result.ack_breaches + result.resolution_breaches} incident response breaches."
            ),
            about=f"{pipeline.name} SLA {month:%Y-%m}",
            about_url=reverse("sla:month", kwargs={"month": f"{month:%Y-%m}"}),
        )


def _escalation_recipients(pipeline: Pipeline) -> tuple[list[notifications.Recipient], str]:
    """The Data Engineering Manager (the setting, else the team leaders) and the downstream team's lead."""
    missing = []
    if settings.DATA_ENGINEERING_MANAGER_EMAIL:
        recipients = [notifications.Recipient(settings.DATA_ENGINEERING_MANAGER_EMAIL)]
    else:
        recipients = notifications.recipients_of(TeamMember.objects.managers())
        if not recipients:
            missing.append("no Data Engineering Manager address")
    team = pipeline.critical_downstream_team
    if team is not None:
        if team.lead_email:
            recipients.append(notifications.Recipient(team.lead_email))
        else:
            missing.append(f"no lead on file for the {team.name} team")
    return recipients, "; ".join(missing)


# --- delay notices -------------------------------------------------------------------------------


def delay_notices_send(*, now: datetime | None = None) -> int:
    """At the deadline plus the delay threshold on a business day, tell stakeholders of every pipeline
    whose data has not arrived, once per pipeline and day; recorded as the communication the SLA checks.
    """
    now = now or timezone.now()
    policy = SlaPolicy.current()
    today = now.astimezone(UTC).date()
    deadline = datetime.combine(today, policy.deadline, tzinfo=UTC)
    hours = business_hours_for(policy, now)
    if today.weekday() >= 5 or today in hours.holidays or now < deadline + policy.delay_threshold:
        return 0
    delivered = set(deliveries.deliveries_on(today, now=now))
    already = set(Communication.objects.filter(day=today).values_list("pipeline_id", flat=True))
    sent = 0
    for pipeline in Pipeline.objects.with_owners().exclude(pk__in=delivered | already):
        sent += _delay_notice(pipeline, today, deadline, now)
    return sent


@transaction.atomic
def _delay_notice(pipeline: Pipeline, day: date, deadline: datetime, now: datetime) -> bool:
    downstream = downstream_pipelines(pipeline)
    people = notifications.recipients_of(owners_of([pipeline]) + owners_of(downstream))
    team = pipeline.critical_downstream_team
    if team is not None and team.lead_email:
        people.append(notifications.Recipient(team.lead_email))
    audience = ", ".join(
        ["owners"]
        + ([f"{team.name} team lead"] if team and team.lead_email else [])
        + (["downstream owners"] if downstream else [])
    )
    message = (
        f"{pipeline.name}: today's data ({day:%a %d %b %Y}) had not arrived by {now:%H:%M} UTC; "
        f"it was due at {deadline:%H:%M} UTC. We will tell you when it lands."
    )
    _, created = Communication.objects.get_or_create(
        pipeline=pipeline,
        day=day,
        automatic=True,
        defaults={"audience": audience, "message": message, "sent_at": now, "channel": Channel.EMAIL},
    )
    if created:
        notifications.notify(
            event=f"delay-notice-{pipeline.pk}-{day:%Y-%m-%d}",
            kind="incidents.delay-notice",
            recipients=people,
            subject=f"Data delay: {pipeline.name} ({day:%d %b})",
            body=message,
            about=f"{pipeline.name} delivery {day}",
            about_url=pipeline.get_absolute_url(),
        )
        event = f"delay-notice-{pipeline.pk}-{day:%Y-%m-%d}"
        paging.chat_post(
            event=event,
            kind="incidents.delay-notice",
            pipeline_id=pipeline.pk,
            page=paging.ChatPage(
                event=event,
                title=f"Data delay: {pipeline.name} ({day:%d %b})",
                text=message,
                url=notifications.absolute_url(pipeline.get_absolute_url()),
                pipeline=pipeline.name,
            ),
        )
    return created


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


def delay_contacts_notify(*, now: datetime | None = None) -> int:
    """Tell outside contacts about data that is days late, per the runbooks' delay rules."""
    now = now or timezone.now()
    policy = SlaPolicy.current()
    hours = business_hours_for(policy, now - timedelta(days=31), now)
    return pipeline_services.delay_contacts_notify(now=now, deadline=policy.deadline, closed_days=set(hours.holidays))


# --- today's 08:00 board -------------------------------------------------------------------------


@dataclass(frozen=True)
class BoardRow:
    pipeline: Pipeline
    state: str  # "on time" | "late" | "missing" | "waiting"
    delivered_at: datetime | None
    has_runs: bool = True  # False: "no runs received" yet, reported here rather than paged daily
    automatic_incident_id: int | None = None  # the open incident the portal opened for it


def delivery_board(*, now: datetime | None = None) -> tuple[datetime, bool, list[BoardRow]]:
    """Each pipeline's delivery today against the deadline: (deadline, business day?, rows).

    A day's delivery is the earliest data_available_at (else finished_at) of a successful run
    scheduled on that UTC date, as in the SLA's timeliness rule.
    """
    now = now or timezone.now()
    policy = SlaPolicy.current()
    today = now.astimezone(UTC).date()
    deadline = datetime.combine(today, policy.deadline, tzinfo=UTC)
    business_day = business_hours_for(policy, now).is_business_day(today)
    delivered = deliveries.deliveries_on(today, now=now)
    with_runs = deliveries.pipelines_with_runs()
    automatic = dict(
        Incident.objects.unresolved().filter(automatic=True, pipeline__isnull=False).values_list("pipeline_id", "pk")
    )
    rows = []
    for pipeline in Pipeline.objects.with_runbook_relations():
        at = delivered.get(pipeline.pk)
        if at is not None:
            state = "on time" if at <= deadline else "late"
        else:
            state = "missing" if now > deadline else "waiting"
        rows.append(BoardRow(pipeline, state, at, pipeline.pk in with_runs, automatic.get(pipeline.pk)))
    return deadline, business_day, rows
