from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from oncall.models import TeamMember
from pipelines.models import Contact, DelayRule, DownstreamTeam, Ownership, Pipeline

pytestmark = pytest.mark.django_db

SLUGS = {
    "profit-pipeline",
    "unit-level-profit-pipeline-for-experiments",
    "aggregate-profit-pipeline-for-investors",
    "growth-pipeline",
    "aggregate-growth-reported-for-investors-pipeline",
    "daily-growth-for-experiments-pipeline",
    "engagement-pipeline",
    "aggregate-engagement-for-investors-pipeline",
}


def snapshot():
    """Every row the import can touch, so "changes nothing" can be asserted exactly."""
    return {
        "users": list(get_user_model().objects.order_by("pk").values()),
        "members": list(TeamMember.objects.order_by("pk").values()),
        "pipelines": list(Pipeline.objects.order_by("pk").values()),
        "ownerships": list(Ownership.objects.order_by("pk").values()),
        "teams": list(DownstreamTeam.objects.order_by("pk").values()),
        "contacts": list(Contact.objects.order_by("pk").values()),
        "rules": list(DelayRule.objects.order_by("pk").values()),
        "depends_on": list(Pipeline.depends_on.through.objects.order_by("pk").values()),
    }


def run_import(path, *args):
    out = StringIO()
    call_command("import_runbook", str(path), *args, stdout=out)
    return out.getvalue()


def write_plan(tmp_path, text, name="plan.md"):
    path = tmp_path / name
    path.write_text(text)
    return path


def owners(slug):
    return {
        o.role: o.member.user.username
        for o in Ownership.objects.filter(pipeline__slug=slug).select_related("member__user")
    }


def test_seed_imports_exactly(imported_seed):
    members = {m.name: m for m in TeamMember.objects.select_related("user")}
    assert set(members) == {"Jasmine Glancy", "Miles Lopez", "Jackson Long", "Hudson King"}
    assert members["Jasmine Glancy"].user.username == "jasmine.glancy"
    assert [m.name for m in TeamMember.objects.filter(is_manager=True)] == ["Hudson King"]
    assert members["Hudson King"].area == "Growth & Investors"
    assert set(Pipeline.objects.values_list("slug", flat=True)) == SLUGS
    assert owners("profit-pipeline") == {"primary": "miles.lopez", "secondary": "jasmine.glancy"}
    assert owners("unit-level-profit-pipeline-for-experiments") == {
        "primary": "jasmine.glancy",
        "secondary": "jackson.long",
    }
    assert owners("aggregate-profit-pipeline-for-investors") == {"primary": "miles.lopez", "secondary": "hudson.king"}
    assert owners("growth-pipeline") == {"primary": "jackson.long", "secondary": "hudson.king"}
    assert owners("aggregate-growth-reported-for-investors-pipeline") == {
        "primary": "hudson.king",
        "secondary": "miles.lopez",
    }
    assert owners("daily-growth-for-experiments-pipeline") == {"primary": "jackson.long", "secondary": "jasmine.glancy"}
    assert owners("engagement-pipeline") == {"primary": "jasmine.glancy", "secondary": "jackson.long"}
    assert owners("aggregate-engagement-for-investors-pipeline") == {
        "primary": "hudson.king",
        "secondary": "miles.lopez",
    }
    teams = {p.slug: p.critical_downstream_team and p.critical_downstream_team.name for p in Pipeline.objects.all()}
    assert sorted(filter(None, teams.values())) == ["Growth", "Growth", "Price", "Profit", "Profit", "Profit"]
    assert list(teams.values()).count(None) == 2
    dependencies = {
        (p, d) for p, d in Pipeline.depends_on.through.objects.values_list("from_pipeline__slug", "to_pipeline__slug")
    }
    assert dependencies == {
        ("unit-level-profit-pipeline-for-experiments", "profit-pipeline"),
        ("aggregate-profit-pipeline-for-investors", "profit-pipeline"),
        ("daily-growth-for-experiments-pipeline", "growth-pipeline"),
        ("aggregate-engagement-for-investors-pipeline", "engagement-pipeline"),
    }
    rules = {
        (r.pipeline.slug, r.contact.name, r.contact.organisation, r.days_after_deadline)
        for r in DelayRule.objects.all()
    }
    assert rules == {
        ("unit-level-profit-pipeline-for-experiments", "Ray Charley", "Sales", 2),
        ("aggregate-profit-pipeline-for-investors", "Ray Charley", "Sales", 2),
    }
    unit = Pipeline.objects.get(slug="unit-level-profit-pipeline-for-experiments")
    assert [i["known_issue"] for i in unit.common_issues] == [False, True]


def test_reimport_changes_nothing(imported_seed, seed_plan_text, tmp_path):
    before = snapshot()
    output = run_import(write_plan(tmp_path, seed_plan_text))
    assert snapshot() == before
    assert "Nothing to change" in output


def test_edited_plan_updates_in_place(imported_seed, seed_plan_text, tmp_path):
    ids = dict(Pipeline.objects.values_list("slug", "pk"))
    edited = (
        seed_plan_text.replace(
            "Enables the organization to monitor, analyze, and act on growth trends",
            "Tracks growth trends",
        )
        .replace(
            "**Primary Owner:** Jackson Long\n\n**Secondary Owner:** Hudson King",
            "**Primary Owner:** Hudson King\n\n**Secondary Owner:** Jackson Long",
        )
        .replace(
            "- Primary owner of the [Growth Pipeline](#growth-pipeline) and [Daily",
            "- Secondary owner of the [Growth Pipeline](#growth-pipeline).\n     - Primary owner of the [Daily",
        )
        .replace(
            "Secondary owner of the [Aggregate Profit Pipeline](#aggregate-profit-pipeline-for-investors) and [Growth Pipeline](#growth-pipeline)",
            "Secondary owner of the [Aggregate Profit Pipeline](#aggregate-profit-pipeline-for-investors).\n     - Primary owner of the [Growth Pipeline](#growth-pipeline)",
        )
    )
    output = run_import(write_plan(tmp_path, edited))
    growth = Pipeline.objects.get(slug="growth-pipeline")
    assert growth.pk == ids["growth-pipeline"]
    assert growth.description.startswith("Tracks growth trends")
    assert owners("growth-pipeline") == {"primary": "hudson.king", "secondary": "jackson.long"}
    assert dict(Pipeline.objects.values_list("slug", "pk")) == ids
    assert TeamMember.objects.count() == 4
    assert "updated" in output and "Growth Pipeline" in output


def test_dry_run_writes_nothing(db, seed_plan_text, tmp_path):
    before = snapshot()
    output = run_import(write_plan(tmp_path, seed_plan_text), "--dry-run")
    assert snapshot() == before
    assert "Would have created 8 pipeline(s)" in output


MALFORMED = {
    "owner who is not a team member": (
        lambda t: t.replace(
            "**Primary Owner:** Miles Lopez\n\n**Secondary Owner:** Jasmine Glancy",
            "**Primary Owner:** Mister Nobody\n\n**Secondary Owner:** Jasmine Glancy",
        ),
        "Mister Nobody",
    ),
    "duplicate pipeline heading": (
        lambda t: t.replace("### Growth Pipeline\n", "### Profit Pipeline\n"),
        "Profit Pipeline",
    ),
    "pipeline without a primary owner": (
        lambda t: t.replace(
            "**Primary Owner:** Hudson King\n\n**Secondary Owner:** Miles Lopez\n\n**Common Issues:**\n\n- Sometimes",
            "**Secondary Owner:** Miles Lopez\n\n**Common Issues:**\n\n- Sometimes",
        ),
        "primary owner",
    ),
    "deadline in a time zone abbreviation": (
        lambda t: t.replace("**8:00 AM UTC**", "**8:00 AM PST**"),
        "America/Los_Angeles",
    ),
    "phantom member from an outdented detail": (
        lambda t: t.replace("   - Expertise: Growth & Investors", "- Expertise: Growth & Investors"),
        "is not a name",
    ),
    "team section contradicting the owners": (
        lambda t: t.replace(
            "**Primary Owner:** Miles Lopez\n\n**Secondary Owner:** Jasmine Glancy",
            "**Primary Owner:** Jasmine Glancy\n\n**Secondary Owner:** Miles Lopez",
        ),
        "line",
    ),
}


@pytest.mark.parametrize("case", MALFORMED)
def test_malformed_plan_exits_non_zero_names_the_line_and_changes_nothing(
    case, imported_seed, seed_plan_text, tmp_path
):
    edit, mention = MALFORMED[case]
    broken = edit(seed_plan_text) + "\n"
    assert broken.strip() != seed_plan_text.strip(), "the test's edit must change the plan"
    before = snapshot()
    with pytest.raises(CommandError) as error:
        run_import(write_plan(tmp_path, broken))
    message = str(error.value)
    assert "line " in message and mention.lower() in message.lower()
    assert snapshot() == before


def test_contradiction_names_both_lines(db, seed_plan_text, tmp_path):
    broken = seed_plan_text.replace(
        "Secondary owner of the [Profit Pipeline](#profit-pipeline) and [Daily",
        "Secondary owner of the [Growth Pipeline](#growth-pipeline) and [Daily",
    )
    lines = broken.splitlines()
    claim_line = next(i for i, text in enumerate(lines, 1) if "Secondary owner of the [Growth Pipeline]" in text)
    growth_heading = lines.index("### Growth Pipeline") + 1
    field_line = next(
        i for i, text in enumerate(lines, 1) if i > growth_heading and text.startswith("**Secondary Owner:**")
    )
    with pytest.raises(CommandError) as error:
        run_import(write_plan(tmp_path, broken))
    message = str(error.value)
    assert f"line {claim_line}:" in message and f"line {field_line} says" in message
    assert "Jasmine Glancy" in message and "Hudson King" in message
    assert Pipeline.objects.count() == 0


@pytest.mark.parametrize(
    "content, mention",
    [(b"", "empty"), (b"  \n\n", "empty"), (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "text")],
    ids=["empty", "blank", "binary"],
)
def test_unreadable_file_exits_non_zero_and_changes_nothing(content, mention, imported_seed, tmp_path):
    path = tmp_path / "plan.md"
    path.write_bytes(content)
    before = snapshot()
    with pytest.raises(CommandError) as error:
        run_import(path)
    assert mention in str(error.value)
    assert snapshot() == before


def test_missing_file_exits_non_zero(db, tmp_path):
    with pytest.raises(CommandError) as error:
        run_import(tmp_path / "nope.md")
    assert "nope.md" in str(error.value)


def test_seed_stores_the_on_call_rules_and_the_sla_policy(imported_seed):
    from datetime import time, timedelta
    from decimal import Decimal

    from oncall.models import Rotation
    from pipelines.models import SlaPolicy

    rotation = Rotation.objects.get()
    assert (rotation.block_days, rotation.handoff_time, rotation.window_years) == (7, time(0, 0), 4)
    order = list(rotation.memberships.order_by("position").values_list("member__name", flat=True))
    assert order == ["Jasmine Glancy", "Miles Lopez", "Jackson Long", "Hudson King"]
    policy = SlaPolicy.objects.get()
    assert policy.availability_target == Decimal("99.5")
    assert (policy.deadline, policy.deadline_timezone) == (time(8, 0), "UTC")
    assert policy.delay_threshold == timedelta(hours=1)
    assert policy.bad_records_pct == Decimal("0.1")
    assert policy.critical_fields == ["transaction_id", "date", "amount"]
    assert (policy.acknowledge_minutes, policy.resolution) == (15, timedelta(hours=3))


def test_edited_sla_figures_update_the_policy_in_place(imported_seed, seed_plan_text, tmp_path):
    from decimal import Decimal

    from pipelines.models import SlaPolicy

    edited = seed_plan_text.replace("**99.5% of scheduled runs per month**", "**99.9% of scheduled runs per month**")
    assert edited != seed_plan_text
    run_import(write_plan(tmp_path, edited))
    assert SlaPolicy.objects.get().availability_target == Decimal("99.9")


def test_plan_written_by_a_new_user_imports_without_a_phantom_member(db, seed_plan_text, tmp_path):
    # Two-space details under "3. Name", plain labels, "####" pipelines and "Runbooks": ordinary Markdown.
    text = seed_plan_text.replace("\n   - ", "\n  - ").replace("\n     - ", "\n    - ")
    text = (
        text.replace("**Primary Owner:**", "Primary owner:").replace("### ", "#### ").replace("Runbook\n", "Runbooks\n")
    )
    run_import(write_plan(tmp_path, text))
    assert sorted(TeamMember.objects.values_list("name", flat=True)) == [
        "Hudson King",
        "Jackson Long",
        "Jasmine Glancy",
        "Miles Lopez",
    ]
    assert TeamMember.objects.get(name="Hudson King").is_manager
    assert Pipeline.objects.count() == 8


def test_import_lists_what_it_skipped(db, seed_plan_text, tmp_path):
    text = seed_plan_text.replace("## On-Call Schedule", "## Glossary\n\nWords.\n\n## On-Call Schedule")
    output = run_import(write_plan(tmp_path, text))
    line = text.splitlines().index("## Glossary") + 1
    assert f'Skipped: line {line}: section "Glossary" is not part of the plan format; skipped' in output


def test_deadline_time_zone_is_stored(db, seed_plan_text, tmp_path):
    from pipelines.models import SlaPolicy

    run_import(write_plan(tmp_path, seed_plan_text.replace("**8:00 AM UTC**", "**8:00 AM America/Los_Angeles**")))
    assert SlaPolicy.objects.get().deadline_timezone == "America/Los_Angeles"
