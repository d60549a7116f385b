from datetime import UTC, datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from incidents.automatic import watch


def parse_instant(value: str) -> datetime:
    try:
        instant = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as error:
        raise CommandError(f"“{value}” is not an ISO 8601 instant, e.g. 2026-11-24T08:05:00Z.") from error
    return instant if instant.tzinfo else instant.replace(tzinfo=UTC)


class Command(BaseCommand):
    help = (
        "Do what the every-minute job does at an instant: missed deliveries, overdue runs, "
        "unacknowledged escalations, delay notices. Running it twice changes nothing the second time."
    )

    def add_arguments(self, parser):
        parser.add_argument("--at", help="ISO 8601 instant (default: now); without a zone, UTC.")

    def handle(self, *args, at=None, **options):
        now = parse_instant(at) if at else timezone.now()
        if now > timezone.now():
            # Incidents detected in the future could be neither acknowledged nor resolved until then.
            raise CommandError(f"“{at}” is in the future: the watch replays an instant that has passed, or now.")
        counts = watch(now=now)
        self.stdout.write(f"{now:%Y-%m-%d %H:%M:%S} UTC: " + ", ".join(f"{n} {what}" for what, n in counts.items()))
