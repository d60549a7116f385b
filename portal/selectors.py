"""The portal's current plan, read from every app's rows into the plain values of `pipelines.plan`."""

from datetime import timedelta

from django.db.models import Q

from oncall.models import Rotation, TeamMember
from oncall.services import TEAM_ROTATION
from pipelines.models import Pipeline, SlaPolicy, default_critical_fields
from pipelines.plan import CommonIssue, DelayRuleSpec, MemberSpec, OnCallRules, PipelineSpec, Plan, SlaFigures


def plan_from_portal() -> Plan:
    """Members in rotation order, pipelines in the order they were added, the team rotation and the SLA policy.

    Figures the portal has no row for yet (no rotation, no policy) are the plan's defaults.
    """
    rotation = Rotation.objects.filter(name=TEAM_ROTATION).prefetch_related("memberships").first()
    order = {m.member_id: m.position for m in rotation.memberships.all() if not m.ends_on} if rotation else {}
    # Owners stay in the plan even once inactive, or the plan could not name them.
    people = TeamMember.objects.filter(Q(active=True) | Q(ownerships__isnull=False)).distinct()
    members = sorted(people, key=lambda m: (order.get(m.pk, len(order)), m.pk))
    pipelines = Pipeline.objects.with_runbook_relations().prefetch_related("delay_rules__contact").order_by("pk")
    policy = SlaPolicy.objects.order_by("pk").first()
    return Plan(
        members=tuple(
            MemberSpec(name=m.name, area=m.area, expertise=m.expertise, is_manager=m.is_manager, claims=(), line=0)
            for m in members
        ),
        pipelines=tuple(_pipeline(p) for p in pipelines),
        oncall=OnCallRules(
            shift_start=rotation.handoff_time,
            rotation_days=rotation.block_days,
            holiday_window_years=rotation.window_years,
        )
        if rotation
        else OnCallRules(),
        sla=SlaFigures(
            availability_pct=policy.availability_target,
            deadline=policy.deadline,
            deadline_timezone=policy.deadline_timezone,
            delay_threshold=policy.delay_threshold,
            bad_records_pct=policy.bad_records_pct,
            critical_fields=tuple(policy.critical_fields),
            acknowledge_minutes=policy.acknowledge_minutes,
            resolution_hours=int(policy.resolution / timedelta(hours=1)),
        )
        if policy
        else SlaFigures(),
    )


def _pipeline(pipeline: Pipeline) -> PipelineSpec:
    team = pipeline.critical_downstream_team
    return PipelineSpec(
        name=pipeline.name,
        slug=pipeline.slug,
        line=0,
        description=pipeline.description,
        common_issues=tuple(
            CommonIssue(text=i.get("text", ""), known_issue=bool(i.get("known_issue"))) for i in pipeline.common_issues
        ),
        standard_procedures=pipeline.standard_procedures,
        column_aliases=tuple(pipeline.column_aliases),
        primary_owner=pipeline.primary_owner.name if pipeline.primary_owner else None,
        secondary_owner=pipeline.secondary_owner.name if pipeline.secondary_owner else None,
        downstream_team=team.name if team else None,
        depends_on=tuple(sorted(p.slug for p in pipeline.depends_on.all())),
        delay_rules=tuple(
            DelayRuleSpec(r.contact.name, r.contact.organisation, r.days_after_deadline, r.data_description, line=0)
            for r in pipeline.delay_rules.all()
        ),
        schedule=pipeline.schedule,
        critical_fields=None
        if pipeline.critical_fields == default_critical_fields()
        else tuple(pipeline.critical_fields),
    )
