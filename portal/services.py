"""Services that span the apps: the maintenance-plan import stores each app's part in one transaction."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from oncall.services import ImportSummary, rotation_configure_from_plan, team_member_upsert
from pipelines.models import PlanImport
from pipelines.plan import Plan
from pipelines.plan_fields import (
    FieldChange,
    FieldConflict,
    field_changes,
    field_conflicts,
    keep_portal_edits,
    plan_fields,
)
from pipelines.services import runbook_import
from sla.services import sla_policy_update_from_plan

from .selectors import plan_from_portal


class PlanConflictError(Exception):
    """The plan would overwrite fields edited in the portal since the last import."""

    def __init__(self, conflicts: list[FieldConflict]):
        self.conflicts = conflicts
        super().__init__(f"{len(conflicts)} field(s) were edited in the portal since the last import")


def maintenance_plan_review(*, plan: Plan) -> tuple[Plan, list[FieldChange], list[FieldConflict]]:
    """The plan as it would be stored, what that changes field by field, and which changes undo a portal edit.

    A conflict is a field whose portal value and file value both differ from what the last import
    wrote, and from each other. A field only the portal changed keeps the portal's value.
    """
    portal = plan_from_portal()
    last = PlanImport.objects.order_by("-imported_at", "-pk").first()
    conflicts = field_conflicts(last.fields, plan_fields(portal), plan_fields(plan)) if last else []
    if last:
        plan = keep_portal_edits(plan, portal, last.fields)
    return plan, field_changes(plan_fields(portal), plan_fields(plan)), conflicts


@transaction.atomic
def maintenance_plan_import(
    *, plan: Plan, dry_run: bool = False, force: bool = False, source: str = "", now: datetime | None = None
) -> ImportSummary:
    """Store a parsed plan: members, pipelines, the team rotation and the SLA policy, and what was written.

    Fields edited in the portal since the last import that the file leaves as they were keep the
    portal's value; fields the file changes too are refused (`PlanConflictError`, nothing written)
    unless `force`.
    With `dry_run` everything is rolled back.
    """
    # One import at a time: the next one compares against what this one records.
    list(PlanImport.objects.select_for_update().order_by("-imported_at", "-pk")[:1])
    plan, _changes, conflicts = maintenance_plan_review(plan=plan)
    if conflicts and not force:
        raise PlanConflictError(conflicts)
    summary = ImportSummary()
    members = {
        spec.name: team_member_upsert(
            name=spec.name, area=spec.area, expertise=spec.expertise, is_manager=spec.is_manager, summary=summary
        )
        for spec in plan.members
    }
    runbook_import(pipelines=plan.pipelines, members=members, summary=summary)
    rotation_configure_from_plan(rules=plan.oncall, members=list(members.values()), summary=summary)
    sla_policy_update_from_plan(figures=plan.sla, summary=summary)
    PlanImport.objects.create(
        imported_at=now or timezone.now(), source=source[:255], fields=plan_fields(plan_from_portal())
    )
    if dry_run:
        transaction.set_rollback(True)
    return summary
