import logging

from celery import shared_task
from django.utils import timezone

from . import chat, notifications, reminders, services, trades
from .models import Rotation

logger = logging.getLogger(__name__)


@shared_task
def send_notification(notification_id: int) -> bool:
    """Send one recorded email; a no-op when it has been sent already. The outbox sweeper retries failures."""
    return _deliver(
        lambda: notifications.notification_deliver(notification_id=notification_id),
        "notification",
        notification_id,
        done="sent",
    )


@shared_task
def send_notifications(notification_ids: list[int]) -> int:
    """Hand each email recorded together to its own `send_notification`, so each is sent, marked and retried
    on its own. The web process queues this once per batch: one broker round trip instead of one per email."""
    for notification_id in notification_ids:
        send_notification.delay(notification_id)
    return len(notification_ids)


@shared_task
def requeue_pending_notifications() -> int:
    """Every minute: the outbox sweeper re-queues pending emails and chat messages, failed deliveries included."""
    now = timezone.now()
    queued = notifications.notifications_requeue(now=now) + chat.chat_messages_requeue(now=now)
    if queued:
        logger.info("outbox: %s pending messages re-queued", queued)
    return queued


@shared_task
def send_chat_message(message_id: int) -> bool:
    """Post one recorded chat message; a no-op when it has been posted already or given up.

    No Celery retry: a failure stays pending on the row and the outbox sweeper alone retries it, with the
    email backoff and give-up. The sweeper must exist anyway for a retry the broker never took or a worker
    that died; Celery's retries beside it would only try a down channel a second time on their own schedule.
    """
    return _deliver(lambda: chat.chat_message_deliver(message_id=message_id), "chat message", message_id, done="posted")


def _deliver(deliver, what: str, pk: int, *, done: str) -> bool:
    """Deliver one outbox row (`deliver()`); a failure is logged and left pending for the sweeper."""
    try:
        delivered = deliver()
    except (notifications.DeliveryFailed, chat.ChatDeliveryFailed) as error:
        logger.warning("%s %s not %s, left pending: %s", what, pk, done, error)
        return False
    logger.info("%s %s %s", what, pk, done if delivered else f"already {done}, failed or gone")
    return delivered


@shared_task
def send_chat_messages(message_ids: list[int]) -> int:
    """Hand each chat message recorded together to its own `send_chat_message`, so each is posted, marked and
    retried on its own."""
    for message_id in message_ids:
        send_chat_message.delay(message_id)
    return len(message_ids)


@shared_task(autoretry_for=(Exception,), retry_backoff=60, max_retries=3)
def generate_rotation(rotation_id: int) -> dict:
    """Fill one rotation through 31 December of next year; a second run changes nothing."""
    result = services.rotation_generate(rotation_id=rotation_id)
    logger.info("rotation %s: %s shifts created, %s updated", rotation_id, result.created, result.updated)
    return {"created": result.created, "updated": result.updated}


@shared_task
def generate_all_rotations() -> int:
    """Nightly: retire members whose leaving date has come, then regenerate every rotation."""
    services.members_deactivate_departed(today=timezone.localdate())
    rotation_ids = list(Rotation.objects.values_list("pk", flat=True))
    for rotation_id in rotation_ids:
        generate_rotation.delay(rotation_id)
    return len(rotation_ids)


@shared_task
def send_shift_reminders() -> int:
    """Email whoever's block or holiday shift is tomorrow; hourly, and a re-run sends nothing twice."""
    sent = reminders.shift_reminders_send(now=timezone.now())
    logger.info("shift reminders: %s new emails", sent)
    return sent


@shared_task
def expire_holiday_trades() -> int:
    """Pending trades whose shift has started can no longer happen."""
    return trades.holiday_trades_expire(now=timezone.now())
