"""What an imported plan leaves in the portal, as plain values that compare exactly (no ids, no dates)."""

from oncall.models import Rotation, TeamMember
from pipelines.models import Pipeline, SlaPolicy


def portal_dump() -> dict:
    """Members, pipelines with their runbooks, owners, dependencies and delay rules, on-call rules and SLA policy."""
    pipelines = Pipeline.objects.select_related("critical_downstream_team").prefetch_related(
        "ownerships__member", "depends_on", "delay_rules__contact"
    )
    rotation = Rotation.objects.prefetch_related("memberships__member").first()
    policy = SlaPolicy.objects.order_by("pk").first()
    return {
        "members": sorted(
            (m.name, m.area, m.expertise, m.is_manager, m.user.username)
            for m in TeamMember.objects.select_related("user")
        ),
        "pipelines": {
            p.slug: {
                "name": p.name,
                "description": p.description,
                "common_issues": p.common_issues,
                "standard_procedures": p.standard_procedures,
                "column_aliases": p.column_aliases,
                "schedule": p.schedule,
                "critical_fields": p.critical_fields,
                "downstream_team": p.critical_downstream_team.name if p.critical_downstream_team else None,
                "owners": sorted((o.role, o.member.name) for o in p.ownerships.all()),
                "depends_on": sorted(d.slug for d in p.depends_on.all()),
                "delay_rules": sorted(
                    (r.contact.name, r.contact.organisation, r.days_after_deadline, r.data_description)
                    for r in p.delay_rules.all()
                ),
            }
            for p in pipelines
        },
        "oncall": rotation
        and {
            "handoff_time": rotation.handoff_time,
            "block_days": rotation.block_days,
            "window_years": rotation.window_years,
            "order": [
                m.member.name for m in sorted(rotation.memberships.all(), key=lambda m: m.position) if not m.ends_on
            ],
        },
        "sla": policy
        and {
            field: getattr(policy, field)
            for field in (
                "availability_target",
                "deadline",
                "deadline_timezone",
                "delay_threshold",
                "bad_records_pct",
                "critical_fields",
                "acknowledge_minutes",
                "resolution",
            )
        },
    }
