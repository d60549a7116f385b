from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from pipelines.plan import PlanError
from pipelines.plan_parser import read_plan_file
from portal.services import maintenance_plan_import


class Command(BaseCommand):
    help = "Import (or update in place) the team, pipelines, on-call rules and SLA figures of a maintenance plan."

    def add_arguments(self, parser):
        parser.add_argument("path", help="A maintenance plan in Markdown, e.g. data/maintenance-plan.md")
        parser.add_argument("--dry-run", action="store_true", help="Report what would change; change nothing.")

    def handle(self, *args, path, dry_run, **options):
        try:
            plan = read_plan_file(path)
        except OSError as error:
            raise CommandError(f"{path}: {error.strerror or error}") from error
        except PlanError as error:
            raise CommandError(f"{path}: {error}") from error
        try:
            summary = maintenance_plan_import(plan=plan, dry_run=dry_run)
        except ValidationError as error:
            # A value the plan reads but the portal cannot hold (a name longer than its field, say).
            raise CommandError(f"{path}: {'; '.join(error.messages)}") from error

        prefix = "Would have " if dry_run else ""
        for verb, groups in (("created", summary.created), ("updated", summary.updated)):
            for kind, names in groups.items():
                self.stdout.write(f"{prefix}{verb} {len(names)} {kind}(s): {', '.join(names)}")
        for kind, names in summary.unchanged.items():
            self.stdout.write(f"Unchanged: {len(names)} {kind}(s)")
        for problem in plan.unparsed:
            self.stdout.write(self.style.WARNING(f"Skipped: {problem}"))
        if not summary.changed_anything:
            self.stdout.write("Nothing to change: the database already matches the plan.")
        elif dry_run:
            self.stdout.write("Dry run: nothing was written.")
        else:
            self.stdout.write(self.style.SUCCESS(f"Imported {path}."))
