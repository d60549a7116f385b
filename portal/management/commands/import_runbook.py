import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from oncall.history import change_source
from pipelines.plan import PlanError
from pipelines.plan_parser import read_plan_file
from portal.services import PlanConflictError, maintenance_plan_import, maintenance_plan_review


def shown(value: object, width: int = 100) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= width else text[: width - 1] + "…"


class Command(BaseCommand):
    help = "Import (or update in place) the team, pipelines, on-call rules and SLA figures of a maintenance plan."

    def add_arguments(self, parser):
        parser.add_argument("path", help="A maintenance plan in Markdown, e.g. data/maintenance-plan.md")
        parser.add_argument(
            "--dry-run", action="store_true", help="Print what would change, field by field; change nothing."
        )
        parser.add_argument(
            "--force", action="store_true", help="Import even over fields edited in the portal since the last import."
        )

    def handle(self, *args, path, dry_run, force, **options):
        try:
            plan = read_plan_file(path)
        except OSError as error:
            raise CommandError(f"{path}: {error.strerror or error}") from error
        except PlanError as error:
            raise CommandError(f"{path}: {error}") from error
        if dry_run:
            _merged, changes, conflicts = maintenance_plan_review(plan=plan)
            for change in changes:
                self.stdout.write(f"Would change {change.field}: {shown(change.before)} → {shown(change.after)}")
            self._conflicts(conflicts)
        try:
            with change_source("plan import"):
                summary = maintenance_plan_import(plan=plan, dry_run=dry_run, force=force or dry_run, source=str(path))
        except PlanConflictError as error:
            self._conflicts(error.conflicts)
            raise CommandError(
                f"{path}: {len(error.conflicts)} field(s) were edited in the portal since the last import and the "
                "plan says otherwise; nothing was changed. Import with --force to overwrite them."
            ) from error
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

    def _conflicts(self, conflicts):
        for conflict in conflicts:
            self.stdout.write(
                self.style.ERROR(
                    f"Conflict in {conflict.field}: last import {shown(conflict.last_import)}, "
                    f"portal now {shown(conflict.portal)}, plan {shown(conflict.plan)}"
                )
            )
