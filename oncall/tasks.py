import logging

from celery import shared_task

from . import notifications

logger = logging.getLogger(__name__)


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(notifications.DeliveryFailed,),
    retry_backoff=30,
    retry_backoff_max=1800,
    max_retries=8,
)
def send_notification(self, notification_id: int) -> bool:
    """Send one recorded email; a no-op when it has been sent already."""
    sent = notifications.notification_deliver(notification_id=notification_id)
    logger.info("notification %s %s", notification_id, "sent" if sent else "already sent or gone")
    return sent
