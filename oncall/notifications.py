"""The one notification service of the portal: every email goes through `notify`.

A message is recorded as a `Notification` row in the caller's transaction and sent by a Celery task
after the commit, so a rolled-back change tells nobody, and a retried event (same key) tells nobody
twice.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from .choices import NotificationStatus
from .models import Notification, TeamMember


@dataclass(frozen=True)
class Recipient:
    email: str
    member: TeamMember | None = None

    @classmethod
    def of(cls, member: TeamMember) -> "Recipient":
        return cls(member.email, member)


def recipients_of(members: Iterable[TeamMember]) -> list[Recipient]:
    """Members with an email address, each once, in the order given."""
    seen: dict[str, Recipient] = {}
    for member in members:
        if member.email and member.email not in seen:
            seen[member.email] = Recipient.of(member)
    return list(seen.values())


def absolute_url(path: str) -> str:
    return settings.PORTAL_BASE_URL.rstrip("/") + path


def notify(
    *,
    event: str,
    kind: str,
    recipients: Iterable[Recipient],
    subject: str,
    body: str,
    about: str = "",
    about_url: str = "",
) -> list[Notification]:
    """Record one email per recipient for `event` and send them after the commit.

    `event` identifies what happened (e.g. `incident-12-opened`); a recipient already told about
    that event is skipped, so callers may run twice.
    """
    created = []
    for recipient in recipients:
        if not recipient.email:
            continue
        notification, was_created = Notification.objects.get_or_create(
            key=f"{event}:{recipient.email}"[:255],
            defaults={
                "kind": kind,
                "recipient": recipient.email,
                "member": recipient.member,
                "subject": subject[:255],
                "body": body,
                "about": about[:255],
                "about_url": absolute_url(about_url) if about_url.startswith("/") else about_url,
            },
        )
        if was_created:
            created.append(notification)
    if created:
        from .tasks import send_notification

        ids = [n.pk for n in created]
        transaction.on_commit(lambda: [send_notification.delay(pk) for pk in ids])
    return created


class DeliveryFailed(Exception):
    """The mail transport refused a message; it is recorded as failed and the task retries."""


def notification_deliver(*, notification_id: int) -> bool:
    """Send one recorded email unless it was sent already; True when it was sent now.

    The row stays locked while the mail goes out, so two workers handed the same message
    send it once. A transport failure is recorded on the row, then raised as `DeliveryFailed`.
    """
    with transaction.atomic():
        notification = Notification.objects.select_for_update().filter(pk=notification_id).first()
        if notification is None or notification.status == NotificationStatus.SENT:
            return False
        notification.attempts += 1
        try:
            send_mail(
                notification.subject,
                notification.body + (f"\n\n{notification.about_url}" if notification.about_url else ""),
                settings.DEFAULT_FROM_EMAIL,
                [notification.recipient],
            )
        except Exception as error:  # any transport failure: record it, let the task retry
            notification.status = NotificationStatus.FAILED
            notification.last_error = f"{type(error).__name__}: {error}"[:2000]
            notification.save(update_fields=["status", "last_error", "attempts"])
            failure = error
        else:
            notification.status = NotificationStatus.SENT
            notification.sent_at = timezone.now()
            notification.last_error = ""
            notification.save(update_fields=["status", "sent_at", "last_error", "attempts"])
            return True
    raise DeliveryFailed(notification.last_error) from failure


def notify_each(
    *,
    event: str,
    kind: str,
    messages: Iterable[tuple[Recipient, str]],
    subject: str,
    about: str = "",
    about_url: str = "",
) -> list[Notification]:
    """`notify` with a body of its own for each recipient (e.g. a personal link), in three queries.

    Same keys as `notify` (`event:email`), so a recipient already told about `event` is skipped.
    """
    rows: dict[str, Notification] = {}
    for recipient, body in messages:
        if recipient.email:
            key = f"{event}:{recipient.email}"[:255]
            rows.setdefault(
                key,
                Notification(
                    key=key,
                    kind=kind,
                    recipient=recipient.email,
                    member=recipient.member,
                    subject=subject[:255],
                    body=body,
                    about=about[:255],
                    about_url=absolute_url(about_url) if about_url.startswith("/") else about_url,
                ),
            )
    if not rows:
        return []
    told = set(Notification.objects.filter(key__in=list(rows)).values_list("key", flat=True))
    fresh = [notification for key, notification in rows.items() if key not in told]
    if not fresh:
        return []
    # A concurrent caller may have recorded one meanwhile: it keeps its row, and sending is once per row.
    Notification.objects.bulk_create(fresh, ignore_conflicts=True)
    created = list(Notification.objects.filter(key__in=[n.key for n in fresh]))
    if created:
        from .tasks import send_notification

        ids = [n.pk for n in created]
        transaction.on_commit(lambda: [send_notification.delay(pk) for pk in ids])
    return created
