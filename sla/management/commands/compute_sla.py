from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from oncall.months import first_of_month, parse_month

from ...services import sla_month_compute


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
        compliant = sum(report.compliant for report in reports)
        self.stdout.write(f"{first:%Y-%m}: {len(reports)} pipelines, {compliant} compliant.")
        for report in reports:
            if not report.compliant:
                failed = [
                    name
                    for name in ("availability", "timeliness", "quality", "response")
                    if not getattr(report, f"{name}_ok")
                ]
                self.stdout.write(f"  {report.pipeline.name}: breaches {', '.join(failed)}")
