"""Services that span the apps: the maintenance-plan import stores each app's part in one transaction."""

from django.db import transaction

from incidents.services import sla_policy_update_from_plan
from oncall.services import ImportSummary, rotation_configure_from_plan, team_member_upsert
from pipelines.plan import Plan
from pipelines.services import runbook_import


@transaction.atomic
def maintenance_plan_import(*, plan: Plan, dry_run: bool = False) -> ImportSummary:
    """Store a parsed plan: members, pipelines, the team rotation and the SLA policy.

    With `dry_run` everything is rolled back.
    """
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
    if dry_run:
        transaction.set_rollback(True)
    return summary
