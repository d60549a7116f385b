from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from oncall.months import first_of_month, parse_month

from ...models import SlaReport
from ...services import sla_month_compute

DIMENSIONS = ("availability", "timeliness", "quality", "response")


class Command(BaseCommand):
    help = "Compute and store every pipeline's SLA figures for a month (default: this month, to date)."

    def add_arguments(self, parser):
        parser.add_argument("--month", help="YYYY-MM (default: the current month).")

    def handle(self, *args, month=None, **options):
        try:
            first = parse_month(month) if month else first_of_month(timezone.now().date())
        except ValueError as error:
            raise CommandError(str(error)) from error
        try:
            reports = sla_month_compute(month=first)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        breaching = (
            SlaReport.objects.filter(month=first, compliant=False)
            .order_by("pipeline__name")
            .values_list("pipeline__name", *(f"{name}_ok" for name in DIMENSIONS))
        )
        lines = [
            f"  {name}: breaches {', '.join(d for d, ok in zip(DIMENSIONS, oks, strict=True) if not ok)}"
            for name, *oks in breaching
        ]
        self.stdout.write(f"{first:%Y-%m}: {len(reports)} pipelines, {len(reports) - len(lines)} compliant.")
        for line in lines:
            self.stdout.write(line)
