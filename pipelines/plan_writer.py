"""A plan written back in the plan's own Markdown format, so that reading it gives the same plan.

Pure: it takes the values of `pipelines.plan` (the portal builds them from its rows). It writes the
seed's layout, and adds a field only where the text alone would not say it (column aliases that no
procedure lists, delay rules and dependencies that the text does not state, a schedule that is not
the default).
"""

from datetime import time, timedelta
from decimal import Decimal

from . import plan_rules
from .plan import DelayRuleSpec, MemberSpec, PipelineSpec, Plan
from .plan_markdown import parse_blocks, units
from .plan_runbook import links_in_markdown, procedure_aliases

DEFAULT_TITLE = "Data Pipeline Maintenance Plan"


def plan_to_markdown(plan: Plan, *, title: str = DEFAULT_TITLE, default_schedule: str = "") -> str:
    names = {spec.slug: spec.name for spec in plan.pipelines}
    parts = [
        f"# {title}",
        "Team members:",
        "\n".join(_member(m, n, plan, names) for n, m in enumerate(plan.members, 1)),
    ]
    parts.append("## Upstream Datasets Runbook")
    for spec in plan.pipelines:
        parts.extend(_pipeline(spec, names, default_schedule))
    parts.extend(["## On-Call Schedule", *_oncall(plan), "### SLA (Service Level Agreement)", *_sla(plan)])
    return "\n\n".join(part for part in parts if part) + "\n"


def _link(slug: str, names: dict[str, str]) -> str:
    return f"[{names[slug]}](#{slug})"


def _member(member: MemberSpec, number: int, plan: Plan, names: dict[str, str]) -> str:
    expertise_area = member.expertise.split(" - ")[0] if member.expertise else ""
    heading = f"{number}. {member.name}"
    if member.area and member.area != expertise_area:
        heading += f" - {member.area}"
    lines = [heading]
    if member.expertise:
        lines.append(f"   - Expertise: {member.expertise}")
    leader_stated = any(part.strip().lower() in ("team lead", "team leader") for part in member.expertise.split(" - "))
    if member.is_manager and not leader_stated:
        lines.append("   - Team leader")
    owned = {
        role: [spec.slug for spec in plan.pipelines if getattr(spec, f"{role}_owner") == member.name]
        for role in ("primary", "secondary")
    }
    if any(owned.values()):
        lines.append("   - Pipeline Responsibilities:")
        for role, slugs in owned.items():
            if slugs:
                linked = " and ".join(_link(slug, names) for slug in slugs)
                lines.append(f"     - {role.capitalize()} owner of the {linked}.")
    return "\n".join(lines)


def _indent_item(text: str) -> str:
    first, *rest = text.split("\n")
    return "\n".join([f"- {first}", *(f"  {line}" if line else line for line in rest)])


def _pipeline(spec: PipelineSpec, names: dict[str, str], default_schedule: str) -> list[str]:
    parts = [f"### {spec.name}", spec.description]
    parts.append(f"**Primary Owner:** {spec.primary_owner}")
    if spec.secondary_owner:
        parts.append(f"**Secondary Owner:** {spec.secondary_owner}")
    if spec.schedule and spec.schedule != default_schedule:
        parts.append(f"**Schedule:** `{spec.schedule}`")
    if spec.critical_fields is not None:
        parts.append(f"**Critical Fields:** {', '.join(spec.critical_fields)}")
    if spec.common_issues:
        issues = [_indent_item(("*Known Issue*: " if i.known_issue else "") + i.text) for i in spec.common_issues]
        parts.extend(["**Common Issues:**", "\n".join(issues)])
    text = "\n\n".join([spec.description, *(i.text for i in spec.common_issues), spec.standard_procedures])
    stated = plan_rules.delay_rules(units(parse_blocks(text)[0]), spec.name)
    procedures = spec.standard_procedures
    if procedures:
        parts.extend(["**Standard Procedures:**", procedures])
    if {_rule(r) for r in stated} != {_rule(r) for r in spec.delay_rules}:
        # The portal's rules differ from what the runbook's sentences say: state them all.
        rules = "\n".join(
            f"- Contact {r.contact_name} with {r.organisation} if {r.data_description or 'the data'} isn't received "
            f"by {r.days_after_deadline} days after the expected deadline"
            for r in spec.delay_rules
        )
        parts.extend(["**Delay Rules:**", rules or "None"])
    if spec.column_aliases and tuple(procedure_aliases(spec.standard_procedures)) != spec.column_aliases:
        parts.append(f"**Column Aliases:** {', '.join(spec.column_aliases)}")
    linked = {href[1:].lower() for href in links_in_markdown(text) if href.startswith("#")}
    unstated = [slug for slug in spec.depends_on if slug not in linked and slug in names]
    if unstated:
        parts.append(f"**Depends On:** {', '.join(_link(slug, names) for slug in unstated)}")
    if spec.downstream_team:
        parts.append(f"**Critical Downstream Team:** {spec.downstream_team} team")
    return parts


def _rule(rule: DelayRuleSpec) -> tuple:
    return (rule.contact_name, rule.organisation, rule.days_after_deadline, rule.data_description)


def _clock(value: time) -> str:
    return "midnight" if value == time(0, 0) else value.strftime("%H:%M")


def _oncall(plan: Plan) -> list[str]:
    rules = plan.oncall
    return [
        f"Each person has a 24 hour on-call schedule starting at {_clock(rules.shift_start)}. "
        f"On-call rotates every {rules.rotation_days} days.",
        f"The same holiday is not scheduled for the same person more than every {rules.holiday_window_years} years. "
        "Employees are able to trade holiday on-call shifts, but not assigned on-call shifts. If team members turn "
        "over, new team members inherit the freed holidays from the previous team member.",
    ]


def _number(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _duration(value: timedelta) -> str:
    minutes = int(value.total_seconds() // 60)
    if minutes % 60:
        return f"{minutes} minutes"
    return "1 hour" if minutes == 60 else f"{minutes // 60} hours"


def _sla(plan: Plan) -> list[str]:
    sla = plan.sla
    return [
        "**Objective:**\nDefine the expected reliability, timeliness, and quality standards for all pipelines.",
        "**Availability:**",
        f"- Pipelines are expected to run successfully **{_number(sla.availability_pct)}% of scheduled runs per "
        "month**.",
        "**Timeliness:**",
        f"- Data must be available to downstream teams by **{sla.deadline:%H:%M} {sla.deadline_timezone}** each "
        f"business day.\n- Delays greater than **{_duration(sla.delay_threshold)}** must be communicated to all "
        "stakeholders.",
        "**Data Quality:**",
        f"- No more than **{_number(sla.bad_records_pct)}% of records** may be dropped or fail validation per run.\n"
        f"- All critical fields (e.g., {', '.join(sla.critical_fields)}) must be non-null.",
        "**Incident Response:**",
        f"- Critical failures must be acknowledged within **{sla.acknowledge_minutes} minutes** during business "
        f"hours.\n- Resolution or workaround must be provided within **{sla.resolution_hours} hours** of incident "
        "detection.",
    ]
