import logging

from celery import shared_task
from django.utils import timezone

from . import automatic, communications, services

logger = logging.getLogger(__name__)


@shared_task
def watch() -> dict[str, int]:
    """Every minute: missed deliveries, overdue runs, unacknowledged escalations, delay notices."""
    return automatic.watch(now=timezone.now())


@shared_task
def escalate_unacknowledged_incidents() -> int:
    """Every minute: critical incidents still unacknowledged at their deadline; each is escalated once."""
    return services.incidents_escalate_silence(now=timezone.now())


@shared_task
def send_delay_notices() -> int:
    """Every few minutes on business days: tell stakeholders of data not in by the deadline plus the threshold."""
    return communications.delay_notices_send(now=timezone.now())


@shared_task
def notify_delay_contacts() -> int:
    """Hourly: outside contacts whose data is the rule's number of days late are told, once per missed deadline."""
    return communications.delay_contacts_notify(now=timezone.now())
