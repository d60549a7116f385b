"""Field-by-field comparison of plans: changes, three-way conflicts and keeping portal edits."""

from dataclasses import replace
from pathlib import Path

import pytest

from pipelines.plan_fields import field_changes, field_conflicts, keep_portal_edits, plan_fields
from pipelines.plan_parser import read_plan_file

SEED = read_plan_file(Path(__file__).resolve().parents[2] / "data" / "maintenance-plan.md")
AREA = "member Jackson Long: area"


def with_area(area: str):
    members = tuple(replace(m, area=area) if m.name == "Jackson Long" else m for m in SEED.members)
    return replace(SEED, members=members)


@pytest.mark.parametrize(
    ("portal", "file", "conflict"),
    [
        ("Growth & Experiments", "Growth & Experiments", False),  # nobody changed it
        ("Growth", "Growth & Experiments", False),  # only the portal changed it
        ("Growth & Experiments", "Growth", False),  # only the file changed it
        ("Growth", "Growth", False),  # both made the same change
        ("Growth", "Experiments", True),  # both changed it, differently
    ],
)
def test_field_conflicts_needs_both_sides_to_move_apart(portal: str, file: str, conflict: bool):
    conflicts = field_conflicts(plan_fields(SEED), plan_fields(with_area(portal)), plan_fields(with_area(file)))
    assert [c.field for c in conflicts] == ([AREA] if conflict else [])


def test_field_changes_lists_each_changed_field_with_before_and_after():
    edited = replace(with_area("Growth"), oncall=replace(SEED.oncall, rotation_days=14))
    changes = field_changes(plan_fields(SEED), plan_fields(edited))
    assert [(c.field, c.before, c.after) for c in changes] == [
        (AREA, "Growth & Experiments", "Growth"),
        ("on-call: rotation days", 7, 14),
    ]


def test_keep_portal_edits_keeps_what_only_the_portal_changed():
    merged = keep_portal_edits(SEED, with_area("Growth"), plan_fields(SEED))
    assert plan_fields(merged)[AREA] == "Growth"
    assert keep_portal_edits(with_area("Experiments"), with_area("Growth"), plan_fields(SEED)) == with_area(
        "Experiments"
    )


def test_unstated_schedule_is_not_a_field():
    assert not any(key.endswith(": schedule") for key in plan_fields(SEED))
