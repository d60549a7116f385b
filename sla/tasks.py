import logging

from celery import shared_task
from django.utils import timezone

from oncall.months import add_months, first_of_month

from . import services

logger = logging.getLogger(__name__)


@shared_task(bind=True)
def compute_sla_month(self, month_iso: str) -> int:
    """Compute one month's SLA figures (YYYY-MM-01); progress is visible through the task's state."""
    from datetime import date

    self.update_state(state="PROGRESS", meta={"month": month_iso})
    reports = services.sla_month_compute(month=date.fromisoformat(month_iso), now=timezone.now())
    logger.info("SLA %s: %s pipeline reports", month_iso, len(reports))
    return len(reports)


@shared_task
def compute_sla_nightly() -> str:
    """Nightly: month to date; on the 1st, also the final figures of the month that just ended."""
    today = timezone.now().date()
    if today.day == 1:
        compute_sla_month.delay(add_months(today, -1).isoformat())
    compute_sla_month.delay(first_of_month(today).isoformat())
    return today.isoformat()
