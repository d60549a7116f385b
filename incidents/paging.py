"""Pages about an incident: one message per person, each with that person's one-click acknowledge link.

Everything goes through the one outbox (`oncall.notifications`); a link is signed for (incident, member)
and expires after a day.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import NamedTuple

from django.core import signing
from django.db.models import Q
from django.urls import reverse

from oncall import chat, notifications
from oncall.models import Notification, TeamMember

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


def acknowledge_urls() -> Callable[[Incident, TeamMember], str]:
    """The one-click acknowledge link of (incident, member), for many links with the path reversed once:
    a token needs no quoting in a path (URL-safe base64 and colons)."""
    slot = "token-slot"
    template = notifications.absolute_url(reverse("incidents:acknowledge-link", kwargs={"token": slot}))
    return lambda incident, member: template.replace(
        slot, acknowledge_token(incident_id=incident.pk, member_id=member.pk)
    )


@dataclass(frozen=True)
class Page:
    """One page about an incident: `event` names it (e.g. `incident-12-unacknowledged`)."""

    incident: Incident
    event: str
    kind: str
    people: Sequence[TeamMember]
    subject: str
    body: str
    acknowledgeable: bool = True


class PipelineChatPage(NamedTuple):
    """A chat page for the channels that take `pipeline_id`'s pages (None: only the channels for every pipeline)."""

    event: str
    kind: str
    pipeline_id: int | None
    page: ChatPage
    about: str = ""


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
    (created,) = page_all([Page(incident, event, kind, list(people), subject, body, acknowledgeable)])
    return created


def page_all(pages: Sequence[Page]) -> list[list[Notification]]:
    """`page` for many incidents at once, in a fixed number of queries whatever their number; the emails
    each page recorded now, in the order of `pages`.

    The incidents' `pipeline` and `assignee` should be loaded with them (`select_related`).
    """
    emails: dict[str, list[notifications.Email]] = defaultdict(list)
    page_of_key: dict[str, int] = {}
    chat_pages = []
    link_to = acknowledge_urls()
    for index, each in enumerate(pages):
        incident = each.incident
        incident_url = incident.get_absolute_url()
        for recipient in notifications.recipients_of(each.people):
            text = each.body
            if each.acknowledgeable and recipient.member is not None:
                text += f"\n\nAcknowledge with one click: {link_to(incident, recipient.member)}"
            emails[each.kind].append(
                notifications.Email(each.event, recipient, each.subject, text, str(incident), incident_url)
            )
            page_of_key.setdefault(notifications.outbox_key(each.event, recipient.email), index)
        assignee = incident.assignee
        chat_pages.append(
            PipelineChatPage(
                event=each.event,
                kind=each.kind,
                pipeline_id=incident.pipeline_id,
                page=ChatPage(
                    event=each.event,
                    title=each.subject,
                    text=each.body,
                    url=notifications.absolute_url(incident_url),
                    pipeline=incident.pipeline.name if incident.pipeline_id else "",
                    incident_id=incident.pk,
                    severity=incident.get_severity_display(),
                    status=incident.get_status_display(),
                    assignee=assignee.name if assignee else "",
                    acknowledge_url=link_to(incident, assignee) if each.acknowledgeable and assignee else "",
                ),
                about=str(incident),
            )
        )
    created: list[list[Notification]] = [[] for _ in pages]
    for kind, of_kind in emails.items():
        for notification in notifications.notify_all(kind=kind, emails=of_kind):
            created[page_of_key[notification.key]].append(notification)
    chat_post_all(chat_pages)
    return created


def chat_post_all(pages: Iterable[PipelineChatPage]) -> int:
    """Record each page for every active channel that takes its pipeline's pages, each posted after the
    commit: one read of the channels and one outbox record per kind."""
    pages = list(pages)
    if not pages:
        return 0
    pipeline_ids = {each.pipeline_id for each in pages if each.pipeline_id is not None}
    channels = list(
        ChatChannel.objects.filter(active=True).filter(Q(pipeline__isnull=True) | Q(pipeline_id__in=pipeline_ids))
    )
    messages: dict[str, list[chat.ChatOut]] = defaultdict(list)
    for each in pages:
        for channel in channels:
            if channel.pipeline_id is not None and channel.pipeline_id != each.pipeline_id:
                continue
            post = chat.ChatPost(f"channel-{channel.pk}", channel.name, channel.url, PAYLOADS[channel.kind](each.page))
            messages[each.kind].append(chat.ChatOut(each.event, post, each.about or each.page.title, each.page.url))
    return sum(len(chat.post_all(kind=kind, messages=of_kind)) for kind, of_kind in messages.items())
