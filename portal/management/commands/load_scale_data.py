from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from oncall.models import TeamMember
from oncall.months import add_months
from pipelines.models import Pipeline
from portal.scale_estate import EstateSize, estate_build
from sla.services import sla_month_compute


class Command(BaseCommand):
    help = (
        "Build the labelled benchmark estate in an empty database: N pipelines (hourly and daily), M members, "
        "downstream teams and dependencies, a rotation planned years ahead, months of runs with failures, late "
        "data and bad records, incidents (some open) and the computed SLA months. For bench/, never production."
    )

    def add_arguments(self, parser):
        parser.add_argument("--pipelines", type=int, required=True)
        parser.add_argument("--members", type=int, required=True)
        parser.add_argument("--months", type=int, default=12, help="Months of run history, this one included.")
        parser.add_argument("--incidents", type=int, default=10_000)
        parser.add_argument("--open-incidents", type=int, default=500)
        parser.add_argument("--years-ahead", type=int, default=10, help="How far ahead the rotation is planned.")
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args, pipelines, members, months, incidents, open_incidents, years_ahead, seed, **options):
        if pipelines < 1 or members < 2 or months < 1 or not 0 <= open_incidents <= incidents or years_ahead < 1:
            raise CommandError(
                "Needs at least 1 pipeline, 2 members, 1 month and 1 year ahead, and no more open incidents "
                "than incidents."
            )
        existing = Pipeline.objects.count(), TeamMember.objects.count()
        if any(existing):
            raise CommandError(
                f"The benchmark estate is built in an empty database; this one has {existing[0]} pipelines "
                f"and {existing[1]} members."
            )
        now = timezone.now()
        size = EstateSize(pipelines, members, months, incidents, open_incidents, years_ahead)
        summary = estate_build(size=size, now=now, seed=seed)
        month = summary.first_month
        while month <= now.date():
            sla_month_compute(month=month, now=now)
            month = add_months(month, 1)
        self.stdout.write(
            self.style.SUCCESS(
                f"Benchmark estate: {summary.pipelines} pipelines, {summary.members} members, {summary.runs} runs "
                f"since {summary.first_month:%B %Y}, {summary.shifts} shifts, {summary.incidents} incidents "
                f"({summary.open_incidents} open), SLA computed for {months} months."
            )
        )
