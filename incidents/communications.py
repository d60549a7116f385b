"""Stakeholder communications: the log, delay notices at the deadline, and outside delay contacts."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from oncall import notifications
from oncall.calendar import team_closed_days
from oncall.models import TeamMember
from pipelines import deliveries
from pipelines import services as pipeline_services
from pipelines.models import Pipeline, SlaPolicy
from pipelines.services import downstream_of_many, owners_of

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

DELAY_NOTICE_KIND = "incidents.delay-notice"


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
    pipelines = list(Pipeline.objects.with_owners().without_runbook_text().exclude(pk__in=delivered | already))
    if not pipelines:
        return 0
    return _delay_notices(pipelines, today, deadline.astimezone(zone), now.astimezone(zone))


@transaction.atomic
def _delay_notices(pipelines: list[Pipeline], day: date, deadline: datetime, now: datetime) -> int:
    """Record and send the notices of `pipelines`, in a fixed number of queries whatever their number.

    `deadline` and `now` are on the wall clock of the deadline's zone, as the message reads them. A notice
    another run recorded meanwhile keeps its row (one automatic notice per pipeline and day), and the
    outbox keys tell nobody twice.
    """
    downstream_of = downstream_of_many(pipelines, known=pipelines)
    # A runbook's URL is the list's plus the slug (pipelines/urls.py): reversed once, not per pipeline.
    runbooks_url = reverse("pipelines:runbook-list")
    notices = []
    emails = []
    chat_pages = []
    owners: dict[int, list[TeamMember]] = {}  # a pipeline is downstream of many: its owners are read once

    def owners_of_one(pipeline: Pipeline) -> list[TeamMember]:
        if pipeline.pk not in owners:
            owners[pipeline.pk] = owners_of([pipeline])
        return owners[pipeline.pk]

    for pipeline in pipelines:
        downstream = downstream_of[pipeline.pk]
        people = notifications.recipients_of(
            owners_of_one(pipeline) + [member for other in downstream for member in owners_of_one(other)]
        )
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
        notices.append(
            Communication(
                pipeline=pipeline,
                day=day,
                automatic=True,
                audience=audience,
                message=message,
                sent_at=now,
                channel=Channel.EMAIL,
            )
        )
        event = f"delay-notice-{pipeline.pk}-{day:%Y-%m-%d}"
        subject = f"Data delay: {pipeline.name} ({day:%d %b})"
        url = f"{runbooks_url}{pipeline.slug}/"
        about = f"{pipeline.name} delivery {day}"
        emails += [notifications.Email(event, recipient, subject, message, about, url) for recipient in people]
        chat_pages.append(
            paging.PipelineChatPage(
                event=event,
                kind=DELAY_NOTICE_KIND,
                pipeline_id=pipeline.pk,
                page=paging.ChatPage(
                    event=event,
                    title=subject,
                    text=message,
                    url=notifications.absolute_url(url),
                    pipeline=pipeline.name,
                ),
            )
        )
    # The constraint `one_automatic_notice_per_day` keeps a notice recorded meanwhile by another run.
    Communication.objects.bulk_create(notices, ignore_conflicts=True)
    notifications.notify_all(kind=DELAY_NOTICE_KIND, emails=emails)
    paging.chat_post_all(chat_pages)
    return len(notices)


def delay_contacts_notify(*, now: datetime | None = None) -> int:
    """Tell outside contacts about data that is days late, per the runbooks' delay rules."""
    now = now or timezone.now()
    policy = SlaPolicy.current()
    return pipeline_services.delay_contacts_notify(
        now=now, deadline=policy.deadline, zone=policy.deadline_timezone, closed_days=team_closed_days(now)
    )
