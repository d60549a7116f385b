"""Export back to Markdown: the export re-imports into an empty portal as the same portal; a dry run lists
field changes; an import over portal edits lists the conflicts and changes nothing unless forced."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from oncall.models import Rotation, TeamMember
from pipelines.models import DelayRule, Pipeline, PlanImport, SlaPolicy
from pipelines.plan_parser import parse_plan
from tests.conftest import SEED_PLAN
from tests.portal.plan_dump import portal_dump

pytestmark = pytest.mark.django_db

SECOND_TEAM = Path(__file__).resolve().parents[1] / "pipelines" / "plans" / "second-team.md"


def run(command: str, *args) -> str:
    out = StringIO()
    call_command(command, *args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.mark.parametrize("path", [SEED_PLAN, SECOND_TEAM], ids=["seed", "second-team"])
def test_export_imports_into_an_empty_portal_as_the_same_portal(path: Path, tmp_path: Path):
    run("import_runbook", str(path))
    before = portal_dump()
    exported = tmp_path / "export.md"
    run("export_runbook", "--output", str(exported))
    text = exported.read_text(encoding="utf-8")
    _empty_the_portal()
    run("import_runbook", str(exported))
    assert portal_dump() == before
    assert parse_plan(text).unparsed == ()


def test_export_after_portal_edits_round_trips(imported_seed, tmp_path: Path):
    profit = Pipeline.objects.get(slug="profit-pipeline")
    profit.schedule = "15 6 * * 1-5"
    profit.critical_fields = ["transaction_id", "region"]
    profit.column_aliases = ["transaction_id", "sale_date"]
    profit.common_issues = [{"text": "Header row missing\n- check the *raw* folder", "known_issue": True}]
    profit.save()
    profit.depends_on.add(Pipeline.objects.get(slug="engagement-pipeline"))
    DelayRule.objects.filter(pipeline__slug="unit-level-profit-pipeline-for-experiments").update(days_after_deadline=3)
    TeamMember.objects.filter(name="Miles Lopez").update(is_manager=True, area="Investors")
    SlaPolicy.objects.update(deadline_timezone="Europe/Paris", acknowledge_minutes=20)
    before = portal_dump()
    exported = tmp_path / "export.md"
    run("export_runbook", "--output", str(exported))
    _empty_the_portal()
    run("import_runbook", str(exported))
    assert portal_dump() == before


def _empty_the_portal():
    from oncall.models import Rotation
    from pipelines.models import Contact, DownstreamTeam, Ownership
    from pipelines.models import SlaPolicy as Policy

    for model in (PlanImport, DelayRule, Ownership, Contact):
        model.objects.all().delete()
    Pipeline.objects.all().delete()
    DownstreamTeam.objects.all().delete()
    Rotation.objects.all().delete()
    Policy.objects.all().delete()
    users = [m.user for m in TeamMember.objects.select_related("user")]
    TeamMember.objects.all().delete()
    for user in users:
        user.delete()
    assert portal_dump() == {"members": [], "pipelines": {}, "oncall": None, "sla": None}


def test_export_to_stdout_is_the_plan(imported_seed):
    text = run("export_runbook")
    assert text.startswith("# Data Pipeline Maintenance Plan\n")
    assert "### Profit Pipeline" in text
    assert "**Critical Downstream Team:** Profit team" in text


def test_runbooks_page_links_to_the_download(member_client, member, imported_seed):
    page = member_client.get(reverse("pipelines:runbook-list"))
    assert reverse("runbook-export") in page.content.decode()
    response = member_client.get(reverse("runbook-export"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="maintenance-plan.md"'
    # Rotation order, then members not in the rotation (the signed-in one here).
    assert [m.name for m in parse_plan(response.content.decode()).members] == [
        "Jasmine Glancy",
        "Miles Lopez",
        "Jackson Long",
        "Hudson King",
        member.name,
    ]


def test_download_needs_a_signed_in_user(client):
    response = client.get(reverse("runbook-export"))
    assert response.status_code == 302


def test_dry_run_prints_field_changes_against_the_portal(imported_seed, seed_plan_text, tmp_path: Path):
    plan = tmp_path / "plan.md"
    text = seed_plan_text.replace("**Secondary Owner:** Jasmine Glancy", "**Secondary Owner:** Hudson King", 1)
    text = text.replace(
        "Secondary owner of the [Profit Pipeline](#profit-pipeline) and [Daily", "Secondary owner of the [Daily"
    )
    text = text.replace("rotates every 7 days", "rotates every 14 days")
    plan.write_text(text)
    output = run("import_runbook", str(plan), "--dry-run")
    assert 'Would change pipeline profit-pipeline: secondary owner: "Jasmine Glancy" → "Hudson King"' in output
    assert "Would change on-call: rotation days: 7 → 14" in output
    assert output.count("Would change ") == 2
    assert Pipeline.objects.get(slug="profit-pipeline").secondary_owner.name == "Jasmine Glancy"


def test_import_over_portal_edits_lists_conflicts_and_changes_nothing(imported_seed, seed_plan_text, tmp_path):
    TeamMember.objects.filter(name="Jackson Long").update(area="Growth")
    plan = tmp_path / "plan.md"
    plan.write_text(seed_plan_text.replace("3. Jackson Long - Growth & Experiments", "3. Jackson Long - Experiments"))
    before = portal_dump()
    out = StringIO()
    with pytest.raises(CommandError) as error:
        call_command("import_runbook", str(plan), stdout=out)
    assert "1 field(s) were edited in the portal since the last import" in str(error.value)
    assert (
        'Conflict in member Jackson Long: area: last import "Growth & Experiments", portal now "Growth", '
        'plan "Experiments"' in out.getvalue()
    )
    assert portal_dump() == before
    run("import_runbook", str(plan), "--force")
    assert TeamMember.objects.get(name="Jackson Long").area == "Experiments"


def test_portal_edit_the_plan_leaves_alone_is_kept(imported_seed, seed_plan_text, tmp_path):
    TeamMember.objects.filter(name="Jackson Long").update(area="Growth")
    plan = tmp_path / "plan.md"
    plan.write_text(seed_plan_text.replace("rotates every 7 days", "rotates every 14 days"))
    output = run("import_runbook", str(plan))
    # The file still says what the last import wrote: the portal's newer edit stays, with no conflict.
    assert "Conflict" not in output
    assert TeamMember.objects.get(name="Jackson Long").area == "Growth"
    assert Rotation.objects.get().block_days == 14


def test_edit_made_in_both_places_alike_is_no_conflict(imported_seed, seed_plan_text, tmp_path):
    TeamMember.objects.filter(name="Jackson Long").update(area="Experiments")
    plan = tmp_path / "plan.md"
    plan.write_text(seed_plan_text.replace("3. Jackson Long - Growth & Experiments", "3. Jackson Long - Experiments"))
    assert "Nothing to change" in run("import_runbook", str(plan))
