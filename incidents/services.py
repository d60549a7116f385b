"""Writes and rules about incidents, communications, the SLA policy and the monthly SLA review."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from oncall import notifications
from oncall.business_hours import BusinessHours, add_business_minutes
from oncall.models import TeamMember
from oncall.services import ImportSummary, assign_changed_fields, on_call_at, team_business_hours
from pipelines.models import Pipeline
from pipelines.plan import SlaFigures
from pipelines.services import downstream_pipelines, owners_of

from .choices import IncidentStatus, Severity
from .exceptions import IncidentStepError
from .models import Communication, Incident, IncidentNote, SlaPolicy

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
    if incident.severity != Severity.CRITICAL:
        return Deadlines(None, None)
    policy = policy or SlaPolicy.current()
    hours = business_hours_for(policy, incident.detected_at)
    return Deadlines(
        add_business_minutes(incident.detected_at, policy.acknowledge_minutes, hours),
        incident.detected_at + policy.resolution,
    )


# --- incidents -----------------------------------------------------------------------------------


@transaction.atomic
def incident_open(
    *,
    pipeline: Pipeline,
    title: str,
    severity: str,
    detected_at: datetime,
    description: str = "",
    opened_by: TeamMember | None = None,
    assignee: TeamMember | None = None,
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
    )
    incident.full_clean()
    incident.save()
    IncidentNote.objects.create(
        incident=incident, at=now, author=opened_by, text="Incident opened.", status_change=IncidentStatus.OPEN
    )
    _notify_opened(incident)
    return incident


def _notify_opened(incident: Incident) -> None:
    pipeline = Pipeline.objects.with_runbook_relations().get(pk=incident.pipeline_id)
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
    notifications.notify(
        event=f"incident-{incident.pk}-opened",
        kind="incidents.opened",
        recipients=notifications.recipients_of(people),
        subject=f"[{incident.get_severity_display()}] {pipeline.name}: {incident.title}",
        body=body,
        about=str(incident),
        about_url=incident.get_absolute_url(),
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
    incidents = Incident.objects.critical().filter(status=IncidentStatus.OPEN).select_related("pipeline")
    for incident in incidents:
        deadline = incident_deadlines(incident, policy).acknowledge
        if deadline is None or deadline > now:
            continue
        pipeline = Pipeline.objects.with_runbook_relations().get(pk=incident.pipeline_id)
        people = [p for p in (pipeline.secondary_owner,) if p] + list(TeamMember.objects.managers())
        sent = notifications.notify(
            event=f"incident-{incident.pk}-unacknowledged",
            kind="incidents.unacknowledged",
            recipients=notifications.recipients_of(people),
            subject=f"Unacknowledged critical incident on {pipeline.name}: {incident.title}",
            body=(
                f"Nobody has acknowledged this critical incident; it was due by {deadline:%Y-%m-%d %H:%M %Z}.\n"
                f"Assigned to {incident.assignee.name if incident.assignee else 'nobody'}."
            ),
            about=str(incident),
            about_url=incident.get_absolute_url(),
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
