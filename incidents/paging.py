"""Pages about an incident: one message per person, each with that person's one-click acknowledge link.

Everything goes through the one outbox (`oncall.notifications`); a link is signed for (incident, member)
and expires after a day.
"""

from collections.abc import Iterable
from datetime import timedelta

from django.core import signing
from django.db.models import Q
from django.urls import reverse

from oncall import chat, notifications
from oncall.models import TeamMember

from .chat_messages import PAYLOADS, ChatPage
from .models import ChatChannel, Incident

ACK_SALT = "incidents.acknowledge-link"
ACK_LINK_MAX_AGE = timedelta(hours=24)


def acknowledge_token(*, incident_id: int, member_id: int) -> str:
    return signing.dumps({"incident": incident_id, "member": member_id}, salt=ACK_SALT, compress=True)


def acknowledge_token_read(token: str) -> tuple[int, int]:
    """(incident id, member id) of a link; `signing.SignatureExpired` / `signing.BadSignature` otherwise."""
    payload = signing.loads(token, salt=ACK_SALT, max_age=ACK_LINK_MAX_AGE)
    return int(payload["incident"]), int(payload["member"])


def acknowledge_url(incident: Incident, member: TeamMember) -> str:
    token = acknowledge_token(incident_id=incident.pk, member_id=member.pk)
    return notifications.absolute_url(reverse("incidents:acknowledge-link", kwargs={"token": token}))


def page(
    *,
    incident: Incident,
    event: str,
    kind: str,
    people: Iterable[TeamMember],
    subject: str,
    body: str,
    acknowledgeable: bool = True,
) -> list:
    """Email each person once for `event`, and post it to the matching chat channels once each.

    While the incident awaits acknowledgement, each email carries its reader's own link, and the chat
    message the assignee's.
    """
    messages = []
    for recipient in notifications.recipients_of(people):
        text = body
        if acknowledgeable and recipient.member is not None:
            text += f"\n\nAcknowledge with one click: {acknowledge_url(incident, recipient.member)}"
        messages.append((recipient, text))
    created = notifications.notify_each(
        event=event,
        kind=kind,
        messages=messages,
        subject=subject,
        about=str(incident),
        about_url=incident.get_absolute_url(),
    )
    assignee = incident.assignee
    chat_post(
        event=event,
        kind=kind,
        pipeline_id=incident.pipeline_id,
        page=ChatPage(
            event=event,
            title=subject,
            text=body,
            url=notifications.absolute_url(incident.get_absolute_url()),
            pipeline=incident.pipeline.name if incident.pipeline_id else "",
            incident_id=incident.pk,
            severity=incident.get_severity_display(),
            status=incident.get_status_display(),
            assignee=assignee.name if assignee else "",
            acknowledge_url=acknowledge_url(incident, assignee) if acknowledgeable and assignee else "",
        ),
        about=str(incident),
    )
    return created


def chat_post(*, event: str, kind: str, pipeline_id: int | None, page: ChatPage, about: str = "") -> int:
    """Record `page` for every active channel that takes this pipeline's pages; each posts after the commit."""
    channels = ChatChannel.objects.filter(active=True).filter(Q(pipeline__isnull=True) | Q(pipeline_id=pipeline_id))
    posts = [
        chat.ChatPost(f"channel-{channel.pk}", channel.name, channel.url, PAYLOADS[channel.kind](page))
        for channel in channels
    ]
    return len(chat.post_each(event=event, kind=kind, posts=posts, about=about or page.title, about_url=page.url))
