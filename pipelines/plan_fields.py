"""A plan as a flat map of fields ("pipeline profit-pipeline: primary owner" → "Miles Lopez"), to compare plans.

The import compares three of them: what the last import wrote, what the portal holds now and what the
file says. A field is in conflict when the portal and the file both moved away from the last import,
to different values. No ORM here.
"""

from dataclasses import dataclass, replace
from datetime import time, timedelta
from decimal import Decimal

from .plan import Plan, SlaFigures

Fields = dict[str, object]


def _plain(value: object) -> object:
    """JSON-safe, and equal for equal meanings (99.50 and 99.5 are one availability)."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, timedelta):
        return int(value.total_seconds() // 60)
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


MEMBER_FIELDS = {"area": "area", "expertise": "expertise", "team leader": "is_manager"}
PIPELINE_FIELDS = {
    "name": "name",
    "description": "description",
    "common issues": "common_issues",
    "standard procedures": "standard_procedures",
    "column aliases": "column_aliases",
    "primary owner": "primary_owner",
    "secondary owner": "secondary_owner",
    "critical downstream team": "downstream_team",
    "depends on": "depends_on",
    "delay rules": "delay_rules",
    "schedule": "schedule",  # absent when the plan states none
    "critical fields": "critical_fields",  # likewise
}
ONCALL_FIELDS = {
    "shift start": "shift_start",
    "rotation days": "rotation_days",
    "holiday window years": "holiday_window_years",
}
SLA_FIELDS = {name.replace("_", " "): name for name in SlaFigures.__dataclass_fields__}


def _value(spec: object, attribute: str) -> object:
    value = getattr(spec, attribute)
    if attribute == "common_issues":
        return [[i.text, i.known_issue] for i in value]
    if attribute == "depends_on":
        return sorted(value)
    if attribute == "delay_rules":
        return sorted([r.contact_name, r.organisation, r.days_after_deadline, r.data_description] for r in value)
    return _plain(value)


def _groups(plan: Plan):
    """(key prefix, spec, label → attribute) for each part of the plan."""
    for member in plan.members:
        yield f"member {member.name}", member, MEMBER_FIELDS
    for spec in plan.pipelines:
        yield f"pipeline {spec.slug}", spec, PIPELINE_FIELDS
    yield "on-call", plan.oncall, ONCALL_FIELDS
    yield "SLA", plan.sla, SLA_FIELDS


def plan_fields(plan: Plan) -> Fields:
    """Every value the import stores, keyed by what it is; values a plan leaves unstated are absent."""
    return {
        f"{prefix}: {label}": _value(spec, attribute)
        for prefix, spec, labels in _groups(plan)
        for label, attribute in labels.items()
        if getattr(spec, attribute) is not None or attribute not in ("schedule", "critical_fields")
    }


def keep_portal_edits(plan: Plan, portal: Plan, last_import: Fields) -> Plan:
    """`plan`, except where the portal changed a field since the last import and the file did not: that
    edit is the newer word, so the portal's value is kept instead of the file's stale one."""
    current, incoming = plan_fields(portal), plan_fields(plan)
    in_portal = {prefix: spec for prefix, spec, _ in _groups(portal)}

    def merged(prefix: str, spec, labels: dict[str, str]):
        kept = {}
        for label, attribute in labels.items():
            key = f"{prefix}: {label}"
            if key in last_import and key in current and current[key] != last_import[key] == incoming.get(key):
                kept[attribute] = getattr(in_portal[prefix], attribute)
        return replace(spec, **kept) if kept else spec

    parts = {prefix: merged(prefix, spec, labels) for prefix, spec, labels in _groups(plan)}
    return replace(
        plan,
        members=tuple(parts[f"member {m.name}"] for m in plan.members),
        pipelines=tuple(parts[f"pipeline {p.slug}"] for p in plan.pipelines),
        oncall=parts["on-call"],
        sla=parts["SLA"],
    )


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: object  # None when the portal has no such value yet
    after: object


@dataclass(frozen=True)
class FieldConflict:
    field: str
    last_import: object
    portal: object
    plan: object


def field_changes(current: Fields, incoming: Fields) -> list[FieldChange]:
    """What importing `incoming` would change in `current`, field by field, in the plan's order."""
    return [FieldChange(key, current.get(key), value) for key, value in incoming.items() if current.get(key) != value]


def field_conflicts(last_import: Fields, current: Fields, incoming: Fields) -> list[FieldConflict]:
    """Fields edited in the portal since the last import that the file would set to something else again."""
    conflicts = []
    for key, value in incoming.items():
        if key not in last_import or key not in current:
            continue
        base, now = last_import[key], current[key]
        if now != base and value != base and now != value:
            conflicts.append(FieldConflict(key, base, now, value))
    return conflicts
