from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from pipelines.models import DEFAULT_SCHEDULE
from pipelines.plan_writer import plan_to_markdown
from portal.selectors import plan_from_portal


class Command(BaseCommand):
    help = "Write the portal's current plan (team, runbooks, on-call rules, SLA) in the maintenance plan's Markdown."

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", help="Write to this file instead of standard output.")

    def handle(self, *args, output=None, **options):
        text = plan_to_markdown(plan_from_portal(), default_schedule=DEFAULT_SCHEDULE)
        if not output:
            self.stdout.write(text, ending="")
            return
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as error:
            raise CommandError(f"{output}: {error.strerror or error}") from error
        self.stderr.write(f"Wrote {output}.")
