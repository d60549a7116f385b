"""Pages about an incident: one message per person, each with that person's one-click acknowledge link.

Everything goes through the one outbox (`oncall.notifications`); a link is signed for (incident, member)
and expires after a day.
"""

from collections.abc import Iterable
from datetime import timedelta

from django.core import signing
from django.urls import reverse

from oncall import notifications
from oncall.models import TeamMember

from .models import Incident

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
    """Email each person once for `event`; while the incident awaits acknowledgement, with their own link."""
    created = []
    for recipient in notifications.recipients_of(people):
        text = body
        if acknowledgeable and recipient.member is not None:
            text += f"\n\nAcknowledge with one click: {acknowledge_url(incident, recipient.member)}"
        created += notifications.notify(
            event=event,
            kind=kind,
            recipients=[recipient],
            subject=subject,
            body=text,
            about=str(incident),
            about_url=incident.get_absolute_url(),
        )
    return created
