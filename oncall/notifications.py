"""The one notification service of the portal: every email goes through `notify_all` (or `notify`).

A message is recorded as a `Notification` row in the caller's transaction and sent by a Celery task
after the commit, so a rolled-back change tells nobody, and a retried event (same key) tells nobody
twice. The rows are an outbox: one the broker never received, or whose delivery failed, is re-queued
by `notifications_requeue` (a beat task) until it is sent or gives up as failed.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone

from .bulk import bulk_insert
from .choices import NotificationStatus
from .models import Notification, TeamMember
from .queueing import task_enqueue

logger = logging.getLogger(__name__)

# A pending message is re-queued once it has waited this long since it was last handed to the broker…
REQUEUE_AFTER = timedelta(minutes=1)
# …doubling after each re-queue up to this, and given up as failed after MAX_REQUEUES of them.
REQUEUE_AFTER_MAX = timedelta(minutes=30)
MAX_REQUEUES = 8


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


@dataclass(frozen=True)
class Email:
    """One email to record: `event` identifies what happened (e.g. `incident-12-opened`)."""

    event: str
    recipient: Recipient
    subject: str
    body: str
    about: str = ""
    about_url: str = ""


def outbox_key(event: str, destination: str) -> str:
    """The outbox key of `event`'s message to `destination` (an address or a channel): one message each."""
    return f"{event}:{destination}"[:255]


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
    """Record one email per recipient for `event` and send them after the commit (see `notify_all`)."""
    return notify_all(kind=kind, emails=(Email(event, r, subject, body, about, about_url) for r in recipients))


def notify_all(*, kind: str, emails: Iterable[Email]) -> list[Notification]:
    """Record each email of `kind` and send them after the commit, in one or two queries whatever their number.

    A recipient already told about an event (same key, `event:email`) is skipped, so callers may run
    twice; so is a member who switched `kind` off on /account/ (only optional kinds can be).
    """
    rows: dict[str, Notification] = {}
    for email in emails:
        recipient = email.recipient
        if not recipient.email:
            continue
        if recipient.member is not None and not recipient.member.wants_email(kind):
            continue
        key = outbox_key(email.event, recipient.email)
        rows.setdefault(
            key,
            Notification(
                key=key,
                kind=kind,
                recipient=recipient.email,
                member_id=recipient.member.pk if recipient.member else None,  # not the instance: cheaper by thousands
                subject=email.subject[:255],
                body=email.body,
                about=email.about[:255],
                about_url=absolute_url(email.about_url) if email.about_url.startswith("/") else email.about_url,
            ),
        )
    from .tasks import send_notifications

    return outbox_record(Notification, rows, send_notifications)


def requeue_wait(requeues: int) -> timedelta:
    """How long a pending message waits after its `requeues`-th hand-over before the next one."""
    return min(REQUEUE_AFTER * 2**requeues, REQUEUE_AFTER_MAX)


def notifications_requeue(*, now: datetime) -> int:
    """Re-queue emails still pending after their wait; those re-queued MAX_REQUEUES times become failed."""
    from .tasks import send_notification

    return outbox_requeue(Notification, send_notification, now=now)


def outbox_requeue(model, task, *, now: datetime) -> int:
    """Re-queue `model`'s rows (an outbox: email or chat) still pending after their wait; give up after a cap.

    Each hand-over is claimed with a conditional update first, so two sweepers never queue the same
    message twice in one round; the delivery itself is a no-op for a message already sent.
    """
    queued = 0
    pending = (
        model.objects.filter(status=NotificationStatus.PENDING)
        .annotate(handed_over_at=Coalesce("queued_at", "created_at"))
        .filter(handed_over_at__lte=now - REQUEUE_AFTER)
        .order_by("pk")
        .only("pk", "requeues", "queued_at", "created_at", "last_error")
    )
    for message in pending:
        if message.handed_over_at > now - requeue_wait(message.requeues):
            continue
        unchanged = model.objects.filter(pk=message.pk, status=NotificationStatus.PENDING, requeues=message.requeues)
        if message.requeues >= MAX_REQUEUES:
            reason = message.last_error or "never delivered: the broker or the workers were unavailable"
            unchanged.update(
                status=NotificationStatus.FAILED,
                last_error=f"Gave up after {message.requeues + 1} attempts. {reason}"[:2000],
            )
            logger.warning("%s %s failed: %s", model._meta.verbose_name, message.pk, reason)
            continue
        if not unchanged.update(queued_at=now, requeues=F("requeues") + 1):
            continue  # another sweeper took it, or it was sent meanwhile
        if not task_enqueue(task, args=(message.pk,)):
            break  # the broker is away again; the next sweep tries once it is back
        queued += 1
    return queued


class DeliveryFailed(Exception):
    """The mail transport refused a message; the error is recorded and the message stays pending."""


def notification_deliver(*, notification_id: int) -> bool:
    """Send one recorded email unless it was sent already or given up; True when it was sent now.

    The row stays locked while the mail goes out, so two workers handed the same message
    send it once. A transport failure is recorded on the row, which stays pending for the
    outbox sweeper to retry, then raised as `DeliveryFailed`.
    """
    with transaction.atomic():
        notification = Notification.objects.select_for_update().filter(pk=notification_id).first()
        if notification is None or notification.status != NotificationStatus.PENDING:
            return False
        notification.attempts += 1
        try:
            send_mail(
                notification.subject,
                notification.body + (f"\n\n{notification.about_url}" if notification.about_url else ""),
                settings.DEFAULT_FROM_EMAIL,
                [notification.recipient],
            )
        except Exception as error:  # any transport failure: record it, the sweeper retries
            notification.last_error = f"{type(error).__name__}: {error}"[:2000]
            notification.save(update_fields=["last_error", "attempts"])
            failure = error
        else:
            notification.status = NotificationStatus.SENT
            notification.sent_at = timezone.now()
            notification.last_error = ""
            notification.save(update_fields=["status", "sent_at", "last_error", "attempts"])
            return True
    raise DeliveryFailed(notification.last_error) from failure


def outbox_record(model, rows: dict, batch_task) -> list:
    """Store the outbox rows (`key` → unsaved row) not recorded before and queue `batch_task(ids)` after the commit.

    One or two queries and one broker round trip whatever the count: the batch task hands each row to its
    own delivery task on the worker. A row a concurrent caller recorded meanwhile is left to that caller,
    which queues it, so each row is sent once. When the broker cannot take the batch, the rows stay
    pending for the sweeper.
    """
    if not rows:
        return []
    created = bulk_insert(model, list(rows.values()), skip_existing="key")
    if created:
        ids = [row.pk for row in created]
        transaction.on_commit(lambda: task_enqueue(batch_task, args=(ids,)))
    return created
