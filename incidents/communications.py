"""Stakeholder communications: the log, delay notices at the deadline, and outside delay contacts."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from oncall import notifications
from oncall.calendar import team_closed_days
from oncall.models import TeamMember
from pipelines import deliveries
from pipelines import services as pipeline_services
from pipelines.models import Pipeline, SlaPolicy
from pipelines.services import downstream_pipelines, owners_of

from . import paging
from .choices import Channel
from .exceptions import IncidentStepError
from .models import Communication, Incident

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


# --- delay notices -------------------------------------------------------------------------------


def delay_notices_send(*, now: datetime | None = None) -> int:
    """At the deadline plus the delay threshold on a business day, tell stakeholders of every pipeline
    whose data has not arrived, once per pipeline and day; recorded as the communication the SLA checks.
    """
    now = now or timezone.now()
    policy = SlaPolicy.current()
    today = now.astimezone(UTC).date()
    deadline = deliveries.business_deadline(
        today, deadline=policy.deadline, zone=policy.deadline_timezone, closed_days=team_closed_days(now)
    )
    if deadline is None or now < deadline + policy.delay_threshold:
        return 0
    delivered = set(deliveries.deliveries_on(today, now=now))
    already = set(Communication.objects.filter(day=today).values_list("pipeline_id", flat=True))
    zone = ZoneInfo(policy.deadline_timezone)
    sent = 0
    for pipeline in Pipeline.objects.with_owners().exclude(pk__in=delivered | already):
        sent += _delay_notice(pipeline, today, deadline.astimezone(zone), now.astimezone(zone))
    return sent


@transaction.atomic
def _delay_notice(pipeline: Pipeline, day: date, deadline: datetime, now: datetime) -> bool:
    """`deadline` and `now` are on the wall clock of the deadline's zone, as the message reads them."""
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
        f"{pipeline.name}: today's data ({day:%a %d %b %Y}) had not arrived by {now:%H:%M %Z}; "
        f"it was due at {deadline:%H:%M %Z}. We will tell you when it lands."
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


def delay_contacts_notify(*, now: datetime | None = None) -> int:
    """Tell outside contacts about data that is days late, per the runbooks' delay rules."""
    now = now or timezone.now()
    policy = SlaPolicy.current()
    return pipeline_services.delay_contacts_notify(
        now=now, deadline=policy.deadline, zone=policy.deadline_timezone, closed_days=team_closed_days(now)
    )
