from celery import shared_task
from django.utils import timezone

from . import automatic, communications


@shared_task
def watch() -> dict[str, int]:
    """Every minute: missed deliveries, overdue runs, unacknowledged escalations, delay notices."""
    return automatic.watch(now=timezone.now())


@shared_task
def notify_delay_contacts() -> int:
    """Hourly: outside contacts whose data is the rule's number of days late are told, once per missed deadline."""
    return communications.delay_contacts_notify(now=timezone.now())
