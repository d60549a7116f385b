from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from oncall import notifications
from oncall.bulk import bulk_insert
from oncall.calendar import add_business_minutes, team_business_hours
from oncall.models import Notification, TeamMember
from oncall.services import on_call_at
from pipelines.models import Pipeline, SlaPolicy
from pipelines.services import owners_of, pipelines_with_downstream

from . import paging
from .choices import IncidentStatus, Severity
from .exceptions import IncidentStepError
from .models import Incident, IncidentNote


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
    hours = team_business_hours(
        *(incident.detected_at for incident in critical), opens=policy.business_opens, closes=policy.business_closes
    )
    for incident in critical:
        deadlines[incident.pk] = Deadlines(
            add_business_minutes(incident.detected_at, policy.acknowledge_minutes, hours),
            incident.detected_at + policy.resolution,
        )
    return deadlines


# --- incidents -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewIncident:
    """What `incidents_open` records of one incident; no assignee means whoever was on call at detection."""

    pipeline: Pipeline | None
    title: str
    severity: str
    detected_at: datetime
    description: str = ""
    opened_by: TeamMember | None = None
    assignee: TeamMember | None = None
    automatic: bool = False


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
    new = NewIncident(pipeline, title, severity, detected_at, description, opened_by, assignee, automatic)
    return incidents_open([new], now=now)[0]


def incidents_open(new: Sequence[NewIncident], *, now: datetime | None = None) -> list[Incident]:
    """`incident_open` for many incidents at once (a morning when every delivery is missing), in a fixed
    number of queries whatever their number; the incidents in the order of `new`."""
    now = now or timezone.now()
    if any(each.detected_at > now for each in new):
        raise IncidentStepError({"detected_at": "The detection time cannot be in the future."})
    on_call: dict[datetime, TeamMember | None] = {}  # incidents detected together share one read
    for each in new:
        if each.assignee is None and each.detected_at not in on_call:
            on_call[each.detected_at] = on_call_at(each.detected_at)
    incidents = [
        Incident(
            pipeline=each.pipeline,
            title=each.title,
            severity=each.severity,
            detected_at=each.detected_at,
            description=each.description,
            opened_by=each.opened_by,
            assignee=each.assignee or on_call.get(each.detected_at),
            automatic=each.automatic,
        )
        for each in new
    ]
    # The table's constraints are about steps a new incident has not taken yet, and the pipeline and
    # people arrive as rows already read: checking either here would cost a query each on every page
    # the portal opens. The database still enforces them.
    for incident in incidents:
        incident.full_clean(exclude=["pipeline", "opened_by", "assignee"], validate_constraints=False)
    # Checked above, so only the database can fail below, and a caller's transaction (an automatic
    # incident's) fails with it anyway: no savepoint of its own, two queries fewer per incident.
    with transaction.atomic(savepoint=False):
        bulk_insert(Incident, incidents)
        bulk_insert(
            IncidentNote,
            [
                IncidentNote(
                    incident=incident,
                    at=now,
                    author=incident.opened_by,
                    text="Incident opened.",
                    status_change=IncidentStatus.OPEN,
                )
                for incident in incidents
            ],
        )
        _notify_opened(incidents)
    return incidents


def _notify_opened(incidents: Sequence[Incident]) -> None:
    about_pipelines = [incident for incident in incidents if incident.pipeline_id is not None]
    with_downstream = pipelines_with_downstream({incident.pipeline_id for incident in about_pipelines})
    pages = []
    for incident in about_pipelines:
        pipeline, downstream = with_downstream[incident.pipeline_id]
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
        pages.append(
            paging.Page(
                incident=incident,
                event=f"incident-{incident.pk}-opened",
                kind="incidents.opened",
                people=people,
                subject=f"[{incident.get_severity_display()}] {pipeline.name}: {incident.title}",
                body=body,
            )
        )
    paging.page_all(pages)
    for incident in incidents:
        if incident.pipeline_id is None:
            _notify_team_incident_opened(incident)


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
    # Bulk reads, so the every-minute job stays flat however many incidents are open.
    incidents = list(
        Incident.objects.critical().filter(status=IncidentStatus.OPEN).select_related("assignee", "pipeline")
    )
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
    pages = []
    for incident in due:
        if incident.pk in already:
            continue
        deadline = deadlines[incident.pk].acknowledge
        pipeline = pipelines.get(incident.pipeline_id)
        people = [p for p in (pipeline and pipeline.secondary_owner,) if p] + managers
        where = f" on {pipeline.name}" if pipeline else ""
        pages.append(
            paging.Page(
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
        )
    return sum(bool(sent) for sent in paging.page_all(pages))
