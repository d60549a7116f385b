"""The maintenance-plan parser, against the team's real plan and realistic edits of it."""

from collections import Counter
from datetime import time, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from pipelines.plan import CommonIssue, DelayRuleSpec, OnCallRules, OwnershipClaim, Plan, PlanError, SlaFigures
from pipelines.plan_parser import parse_plan, read_plan_file, slugify_heading
from pipelines.rendering import render_markdown

SEED_PATH = Path(__file__).resolve().parents[2] / "data" / "maintenance-plan.md"

PIPELINE_SLUGS = [
    "profit-pipeline",
    "unit-level-profit-pipeline-for-experiments",
    "aggregate-profit-pipeline-for-investors",
    "growth-pipeline",
    "aggregate-growth-reported-for-investors-pipeline",
    "daily-growth-for-experiments-pipeline",
    "engagement-pipeline",
    "aggregate-engagement-for-investors-pipeline",
]

PROFIT_ALIASES = (
    "transaction_id",
    "date",
    "product_id",
    "product_name",
    "customer_id",
    "quantity_sold",
    "unit_price",
    "total_sales_amount",
    "cost_of_goods_sold",
    "gross_profit",
    "expense_type",
    "expense_amount",
    "region",
    "salesperson_id",
    "currency",
)


@pytest.fixture(scope="module")
def seed_text() -> str:
    return SEED_PATH.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def seed(seed_text: str) -> Plan:
    return parse_plan(seed_text)


def edit(text: str, old: str, new: str) -> str:
    """Replace the first `old`; fails loudly if the seed no longer contains it, so no test passes vacuously."""
    assert old in text, f"the seed plan no longer contains {old!r}"
    return text.replace(old, new, 1)


def line_of(text: str, fragment: str, occurrence: int = 1) -> int:
    """1-based number of the line holding the `occurrence`-th appearance of `fragment`."""
    hits = [number for number, line in enumerate(text.splitlines(), start=1) if fragment in line]
    assert len(hits) >= occurrence, f"{fragment!r} occurs {len(hits)} times"
    return hits[occurrence - 1]


def pipeline(plan: Plan, slug: str):
    return next(spec for spec in plan.pipelines if spec.slug == slug)


def parse_error(text: str) -> PlanError:
    with pytest.raises(PlanError) as caught:
        parse_plan(text)
    return caught.value


# --- slugify_heading ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("heading", "slug"),
    [
        ("Unit-Level Profit Pipeline for Experiments", "unit-level-profit-pipeline-for-experiments"),
        ("Aggregate Growth Reported for Investors Pipeline", "aggregate-growth-reported-for-investors-pipeline"),
        ("SLA (Service Level Agreement)", "sla-service-level-agreement"),
        ("On-Call Schedule", "on-call-schedule"),
        ("  Profit Pipeline  ", "profit-pipeline"),
        ("Jasmine's Data Pipeline Maintenance Plan", "jasmines-data-pipeline-maintenance-plan"),
        ("Sales & Returns", "sales--returns"),
    ],
)
def test_slugify_heading_matches_github_anchors(heading: str, slug: str):
    assert slugify_heading(heading) == slug


# --- the seed plan -----------------------------------------------------------------------------


def test_parse_plan_seed_members(seed: Plan, seed_text: str):
    members = {m.name: m for m in seed.members}
    assert list(members) == ["Jasmine Glancy", "Miles Lopez", "Jackson Long", "Hudson King"]
    assert {name: m.area for name, m in members.items()} == {
        "Jasmine Glancy": "Profit & Experiments",
        "Miles Lopez": "Profit & Investors",
        "Jackson Long": "Growth & Experiments",
        "Hudson King": "Growth & Investors",
    }
    assert [m.name for m in seed.members if m.is_manager] == ["Hudson King"]
    assert members["Jasmine Glancy"].expertise == (
        "Profit & Experiments - Experience working with finances and statistical risk assessment"
    )
    assert members["Hudson King"].expertise == "Growth & Investors - Team leader"
    assert members["Jackson Long"].line == line_of(seed_text, "3. Jackson Long")


def test_parse_plan_seed_member_claims_record_role_slug_and_line(seed: Plan, seed_text: str):
    jasmine = seed.members[0]
    primary_line = line_of(seed_text, "Primary owner of the [Unit-Level Profit Pipeline]")
    secondary_line = line_of(seed_text, "Secondary owner of the [Profit Pipeline]")
    assert jasmine.claims == (
        OwnershipClaim("primary", "unit-level-profit-pipeline-for-experiments", primary_line),
        OwnershipClaim("primary", "engagement-pipeline", primary_line),
        OwnershipClaim("secondary", "profit-pipeline", secondary_line),
        OwnershipClaim("secondary", "daily-growth-for-experiments-pipeline", secondary_line),
    )
    # Hudson's last claim line has no full stop; it still counts.
    assert [c.pipeline_slug for c in seed.members[3].claims if c.role == "secondary"] == [
        "aggregate-profit-pipeline-for-investors",
        "growth-pipeline",
    ]


def test_parse_plan_seed_pipelines_in_plan_order(seed: Plan, seed_text: str):
    assert [p.slug for p in seed.pipelines] == PIPELINE_SLUGS
    assert seed.pipelines[1].name == "Unit-Level Profit Pipeline for Experiments"
    assert seed.pipelines[0].line == line_of(seed_text, "### Profit Pipeline")


def test_parse_plan_seed_owners(seed: Plan, seed_text: str):
    owners = {p.slug: (p.primary_owner, p.secondary_owner) for p in seed.pipelines}
    assert owners == {
        "profit-pipeline": ("Miles Lopez", "Jasmine Glancy"),
        "unit-level-profit-pipeline-for-experiments": ("Jasmine Glancy", "Jackson Long"),
        "aggregate-profit-pipeline-for-investors": ("Miles Lopez", "Hudson King"),
        "growth-pipeline": ("Jackson Long", "Hudson King"),
        "aggregate-growth-reported-for-investors-pipeline": ("Hudson King", "Miles Lopez"),
        "daily-growth-for-experiments-pipeline": ("Jackson Long", "Jasmine Glancy"),
        "engagement-pipeline": ("Jasmine Glancy", "Jackson Long"),
        "aggregate-engagement-for-investors-pipeline": ("Hudson King", "Miles Lopez"),
    }
    profit = seed.pipelines[0]
    assert profit.primary_owner_line == line_of(seed_text, "**Primary Owner:** Miles Lopez")
    assert profit.secondary_owner_line == line_of(seed_text, "**Secondary Owner:** Jasmine Glancy")


def test_parse_plan_seed_downstream_teams(seed: Plan):
    teams = {p.slug: p.downstream_team for p in seed.pipelines}
    assert teams == {
        "profit-pipeline": "Profit",
        "unit-level-profit-pipeline-for-experiments": "Profit",
        "aggregate-profit-pipeline-for-investors": "Profit",
        "growth-pipeline": "Growth",
        "aggregate-growth-reported-for-investors-pipeline": None,
        "daily-growth-for-experiments-pipeline": "Growth",
        "engagement-pipeline": "Price",
        "aggregate-engagement-for-investors-pipeline": None,
    }
    assert Counter(teams.values()) == {"Profit": 3, "Growth": 2, "Price": 1, None: 2}


def test_parse_plan_seed_dependencies(seed: Plan):
    assert {p.slug: p.depends_on for p in seed.pipelines if p.depends_on} == {
        "unit-level-profit-pipeline-for-experiments": ("profit-pipeline",),
        "aggregate-profit-pipeline-for-investors": ("profit-pipeline",),
        "daily-growth-for-experiments-pipeline": ("growth-pipeline",),
        "aggregate-engagement-for-investors-pipeline": ("engagement-pipeline",),
    }


def test_parse_plan_seed_delay_rules_read_both_word_orders(seed: Plan, seed_text: str):
    rules = {p.slug: p.delay_rules for p in seed.pipelines if p.delay_rules}
    assert rules == {
        "unit-level-profit-pipeline-for-experiments": (
            DelayRuleSpec("Ray Charley", "Sales", 2, "sales data", line_of(seed_text, "Contact Ray Charley if with")),
        ),
        "aggregate-profit-pipeline-for-investors": (
            DelayRuleSpec("Ray Charley", "Sales", 2, "sales data", line_of(seed_text, "Contact Ray Charley with")),
        ),
    }


def test_parse_plan_seed_common_issues_flag_known_issues(seed: Plan):
    unit_level = pipeline(seed, "unit-level-profit-pipeline-for-experiments")
    assert unit_level.common_issues == (
        CommonIssue("Occasionally sales data arrives late from the legacy servers", known_issue=False),
        CommonIssue("pipeline fails if the sales data file is missing a header row", known_issue=True),
    )
    assert pipeline(seed, "profit-pipeline").common_issues == ()
    assert [i.text for i in pipeline(seed, "growth-pipeline").common_issues] == [
        "Duplicated records",
        "Timezone mis-alignment",
    ]
    assert sum(i.known_issue for p in seed.pipelines for i in p.common_issues) == 2


def test_parse_plan_seed_column_aliases(seed: Plan):
    assert pipeline(seed, "profit-pipeline").column_aliases == PROFIT_ALIASES
    assert [p.slug for p in seed.pipelines if p.column_aliases] == ["profit-pipeline"]


def test_parse_plan_seed_procedures_nest_lists_for_the_renderer(seed: Plan):
    procedures = pipeline(seed, "profit-pipeline").standard_procedures
    assert procedures.startswith("- If there is no header row in the sales file")
    assert "proper aliases:\n  - transaction_id\n  - date\n" in procedures
    assert procedures.endswith("  - currency")
    # The portal renders with the same CommonMark engine that read the plan.
    html = render_markdown(procedures)
    assert html.count("<ul>") == 2
    assert "aliases:<ul>" in html.replace("\n", "")


def test_parse_plan_seed_same_line_procedures_and_malformed_link_kept(seed: Plan):
    assert pipeline(seed, "daily-growth-for-experiments-pipeline").standard_procedures == (
        "Follow up with [Growth Pipeline](#growth-pipeline) if there are any delays or misassignment bugs"
    )
    assert pipeline(seed, "aggregate-engagement-for-investors-pipeline").standard_procedures == (
        "To clear tasks, please refer to the "
        "[Microsoft Docs](#https://learn.microsoft.com/en-us/fabric/data-factory/delete-data-activity)."
    )
    assert pipeline(seed, "unit-level-profit-pipeline-for-experiments").standard_procedures == (
        "- If the profit pipeline fails, contact the [Profit Pipeline owners](#profit-pipeline)\n"
        "- For data delays: Contact Ray Charley if with Sales sales data isn't received by 2 days after the "
        "expected deadline"
    )


def test_parse_plan_seed_descriptions(seed: Plan):
    assert pipeline(seed, "growth-pipeline").description == (
        "Enables the organization to monitor, analyze, and act on growth trends by providing timely and accurate "
        "growth data."
    )
    assert all(p.description for p in seed.pipelines)


def test_parse_plan_seed_oncall_rules(seed: Plan):
    assert seed.oncall == OnCallRules(shift_hours=24, shift_start=time(0, 0), rotation_days=7, holiday_window_years=4)


def test_parse_plan_seed_sla_figures(seed: Plan):
    assert seed.sla == SlaFigures(
        availability_pct=Decimal("99.5"),
        deadline=time(8, 0),
        deadline_timezone="UTC",
        delay_threshold=timedelta(hours=1),
        bad_records_pct=Decimal("0.1"),
        critical_fields=("transaction_id", "date", "amount"),
        acknowledge_minutes=15,
        resolution_hours=3,
    )


def test_parse_plan_seed_leaves_nothing_unparsed(seed: Plan):
    assert seed.unparsed == ()


# --- read_plan_file ----------------------------------------------------------------------------


def test_read_plan_file_reads_the_seed(seed: Plan):
    assert read_plan_file(SEED_PATH) == seed


def test_read_plan_file_windows_line_endings_and_bom_change_nothing(seed: Plan, seed_text: str, tmp_path: Path):
    path = tmp_path / "plan.md"
    path.write_bytes(b"\xef\xbb\xbf" + seed_text.replace("\n", "\r\n").encode("utf-8"))
    assert read_plan_file(path) == seed


@pytest.mark.parametrize("content", [b"", b"   \n\n\t\n"])
def test_read_plan_file_empty_file_refused(tmp_path: Path, content: bytes):
    path = tmp_path / "plan.md"
    path.write_bytes(content)
    with pytest.raises(PlanError) as caught:
        read_plan_file(path)
    assert (caught.value.line, caught.value.message) == (0, "the file is empty")


@pytest.mark.parametrize(
    "content",
    [
        b"# Plan\n\x00\x01\x02",  # valid UTF-8, but a NUL byte says binary
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        "Team members: Jos\u00e9".encode("latin-1"),
    ],
)
def test_read_plan_file_binary_file_refused(tmp_path: Path, content: bytes):
    path = tmp_path / "plan.png"
    path.write_bytes(content)
    with pytest.raises(PlanError) as caught:
        read_plan_file(path)
    assert caught.value.line == 0
    assert caught.value.message == "plan.png is not a UTF-8 text file"


def test_read_plan_file_missing_file_raises_oserror(tmp_path: Path):
    with pytest.raises(FileNotFoundError):
        read_plan_file(tmp_path / "absent.md")


# --- plans the import refuses ------------------------------------------------------------------


def test_parse_plan_owner_not_a_team_member_refused(seed_text: str):
    text = edit(seed_text, "**Primary Owner:** Miles Lopez", "**Primary Owner:** Miles Lopes")
    error = parse_error(text)
    assert error.line == line_of(text, "**Primary Owner:** Miles Lopes")
    assert 'primary owner "Miles Lopes" of "Profit Pipeline" is not a team member' in error.message


def test_parse_plan_secondary_owner_not_a_team_member_refused(seed_text: str):
    text = edit(seed_text, "**Secondary Owner:** Hudson King", "**Secondary Owner:** Ray Charley")
    error = parse_error(text)
    assert error.line == line_of(text, "**Secondary Owner:** Ray Charley")
    assert 'secondary owner "Ray Charley" of "Aggregate Profit Pipeline for Investors"' in error.message


def test_parse_plan_duplicate_pipeline_heading_refused(seed_text: str):
    text = edit(seed_text, "### Engagement Pipeline", "### Growth Pipeline")
    error = parse_error(text)
    assert error.line == line_of(text, "### Growth Pipeline", occurrence=2)
    first = line_of(text, "### Growth Pipeline")
    assert error.message == f'pipeline "Growth Pipeline" is already described under the heading on line {first}'


def test_parse_plan_headings_with_the_same_anchor_refused(seed_text: str):
    text = edit(seed_text, "### Engagement Pipeline", "### Growth pipeline!")
    error = parse_error(text)
    assert error.line == line_of(text, "### Growth pipeline!")
    assert f'the same anchor #growth-pipeline as "Growth Pipeline" on line {line_of(text, "### Growth Pipeline")}' in (
        error.message
    )


def test_parse_plan_pipeline_without_primary_owner_refused(seed_text: str):
    text = edit(seed_text, "**Primary Owner:** Hudson King\n\n", "")
    error = parse_error(text)
    assert error.line == line_of(text, "### Aggregate Growth Reported for Investors Pipeline")
    assert error.message == 'pipeline "Aggregate Growth Reported for Investors Pipeline" has no primary owner'


def test_parse_plan_empty_primary_owner_field_refused(seed_text: str):
    text = edit(seed_text, "**Primary Owner:** Hudson King", "**Primary Owner:**")
    error = parse_error(text)
    assert error.line == line_of(text, "### Aggregate Growth Reported for Investors Pipeline")
    assert f"field on line {line_of(text, '**Primary Owner:**', occurrence=5)} is empty" in error.message


def test_parse_plan_empty_text_refused():
    error = parse_error(" \n \n")
    assert (error.line, error.message) == (0, "the file is empty")


def test_parse_plan_team_claim_contradicting_primary_owner_names_both_lines(seed_text: str):
    # Jasmine's entry now claims the Profit Pipeline, whose runbook section still says Miles.
    text = edit(
        seed_text,
        "Primary owner of the [Unit-Level Profit Pipeline](#unit-level-profit-pipeline-for-experiments)",
        "Primary owner of the [Profit Pipeline](#profit-pipeline)",
    )
    error = parse_error(text)
    claim_line = line_of(text, "Primary owner of the [Profit Pipeline](#profit-pipeline) and [Engagement")
    field_line = line_of(text, "**Primary Owner:** Miles Lopez")
    assert error.line == claim_line
    assert error.message == (
        'the team section says Jasmine Glancy is primary owner of "Profit Pipeline" here, '
        f"but line {field_line} says its Primary Owner is Miles Lopez"
    )


def test_parse_plan_team_claim_contradicting_secondary_owner_names_both_lines(seed_text: str):
    text = edit(seed_text, "**Secondary Owner:** Jasmine Glancy", "**Secondary Owner:** Hudson King")
    error = parse_error(text)
    claim_line = line_of(text, "Secondary owner of the [Profit Pipeline](#profit-pipeline)")
    field_line = line_of(text, "**Secondary Owner:** Hudson King")
    assert error.line == claim_line
    assert "the team section says Jasmine Glancy is secondary owner" in error.message
    assert f"but line {field_line} says its Secondary Owner is Hudson King" in error.message


def test_parse_plan_team_claim_for_unknown_pipeline_refused(seed_text: str):
    text = edit(
        seed_text,
        "Primary owner of the [Growth Pipeline](#growth-pipeline)",
        "Primary owner of the [Growth Pipeline](#growth-pipline)",
    )
    error = parse_error(text)
    assert error.line == line_of(text, "(#growth-pipline)")
    assert "Jackson Long is listed as primary owner of #growth-pipline" in error.message
    assert "no pipeline with that anchor" in error.message


def test_parse_plan_same_person_primary_and_secondary_refused(seed_text: str):
    text = edit(seed_text, "**Secondary Owner:** Jasmine Glancy", "**Secondary Owner:** Miles Lopez")
    error = parse_error(text)
    secondary_line = line_of(text, "**Secondary Owner:** Miles Lopez")
    primary_line = line_of(text, "**Primary Owner:** Miles Lopez")
    assert error.line == secondary_line
    assert error.message.startswith(f'Miles Lopez is both primary (line {primary_line}) and secondary owner of "Profit')


def test_parse_plan_duplicate_team_member_refused(seed_text: str):
    text = edit(seed_text, "4. Hudson King - Growth & Investors", "4. Miles Lopez - Growth & Investors")
    error = parse_error(text)
    assert error.line == line_of(text, "4. Miles Lopez")
    assert (
        error.message == f"Miles Lopez is listed twice in the team section (also on line {line_of(text, '2. Miles')})"
    )


def test_parse_plan_missing_team_section_refused(seed_text: str):
    error = parse_error(edit(seed_text, "Team members:\n", ""))
    assert error.line == 0
    assert "Team members:" in error.message


def test_parse_plan_missing_runbook_section_refused(seed_text: str):
    error = parse_error(edit(seed_text, "## Upstream Datasets Runbook", "## Upstream Datasets"))
    assert error.line == 0
    assert "runbook" in error.message


def test_parse_plan_second_primary_owner_field_refused(seed_text: str):
    text = edit(seed_text, "**Secondary Owner:** Jasmine Glancy", "**Primary Owner:** Jasmine Glancy")
    error = parse_error(text)
    assert error.line == line_of(text, "**Primary Owner:** Jasmine Glancy")
    assert f"(the first is on line {line_of(text, '**Primary Owner:** Miles Lopez')})" in error.message


# --- edited plans ------------------------------------------------------------------------------


def test_parse_plan_edited_description_is_reflected(seed_text: str):
    text = edit(
        seed_text,
        "Enables the organization to monitor, analyze, and act on growth trends",
        "Tracks sign-ups and churn",
    )
    description = pipeline(parse_plan(text), "growth-pipeline").description
    assert description == "Tracks sign-ups and churn by providing timely and accurate growth data."


def test_parse_plan_owner_changed_in_both_places_is_reflected(seed_text: str):
    text = edit(seed_text, "**Primary Owner:** Miles Lopez", "**Primary Owner:** Hudson King")
    text = edit(
        text,
        "Primary owner of the [Profit Pipeline](#profit-pipeline) and [Aggregate Profit",
        "Primary owner of the [Aggregate Profit",
    )
    text = edit(
        text,
        "     - Primary owner of the [Aggregate Growth Pipeline]",
        "     - Primary owner of the [Profit Pipeline](#profit-pipeline).\n"
        "     - Primary owner of the [Aggregate Growth Pipeline]",
    )
    plan = parse_plan(text)
    profit = pipeline(plan, "profit-pipeline")
    assert (profit.primary_owner, profit.secondary_owner) == ("Hudson King", "Jasmine Glancy")
    assert profit.primary_owner_line == line_of(text, "**Primary Owner:** Hudson King")
    hudson = plan.members[3]
    assert OwnershipClaim("primary", "profit-pipeline", line_of(text, "[Profit Pipeline](#profit-pipeline).")) in (
        hudson.claims
    )
    assert [c.pipeline_slug for c in plan.members[1].claims if c.role == "primary"] == [
        "aggregate-profit-pipeline-for-investors"
    ]


def test_parse_plan_team_section_silent_about_a_pipeline_is_fine(seed_text: str, seed: Plan):
    text = edit(
        seed_text,
        "      - Secondary owner of the [Profit Pipeline](#profit-pipeline) and "
        "[Daily Growth Pipeline](#daily-growth-for-experiments-pipeline).\n",
        "",
    )
    plan = parse_plan(text)
    assert [(p.primary_owner, p.secondary_owner) for p in plan.pipelines] == [
        (p.primary_owner, p.secondary_owner) for p in seed.pipelines
    ]
    assert [c.role for c in plan.members[0].claims] == ["primary", "primary"]


def test_parse_plan_team_claim_fills_a_missing_secondary_owner_field(seed_text: str):
    text = edit(seed_text, "**Secondary Owner:** Jasmine Glancy\n\n", "")
    profit = pipeline(parse_plan(text), "profit-pipeline")
    assert profit.secondary_owner == "Jasmine Glancy"
    assert profit.secondary_owner_line == line_of(text, "Secondary owner of the [Profit Pipeline](#profit-pipeline)")


def test_parse_plan_missing_downstream_team_is_none(seed_text: str):
    text = edit(seed_text, "**Critical Downstream Team:** Price team\n", "")
    assert pipeline(parse_plan(text), "engagement-pipeline").downstream_team is None


def test_parse_plan_uneven_alias_indents_give_the_same_aliases(seed_text: str):
    text = seed_text.replace("\n  - ", "\n     - ").replace("\n     - transaction_id", "\n    - transaction_id")
    procedures = pipeline(parse_plan(text), "profit-pipeline")
    assert procedures.column_aliases == PROFIT_ALIASES
    assert "\n  - currency" in procedures.standard_procedures


def test_parse_plan_only_the_alias_procedure_gives_column_aliases(seed_text: str):
    text = edit(seed_text, "  - currency\n", "  - currency\n- Then reload the day:\n  - backfill_sales\n")
    profit = pipeline(parse_plan(text), "profit-pipeline")
    assert profit.column_aliases == PROFIT_ALIASES
    assert profit.standard_procedures.endswith("  - currency\n- Then reload the day:\n  - backfill_sales")


def test_parse_plan_member_heading_area_wins_over_expertise(seed_text: str):
    text = edit(seed_text, "3. Jackson Long - Growth & Experiments", "3. Jackson Long - Growth")
    jackson = parse_plan(text).members[2]
    assert (jackson.name, jackson.area) == ("Jackson Long", "Growth")
    assert jackson.expertise.startswith("Growth & Experiments - ")


def test_parse_plan_owner_field_tolerates_bold_and_full_stop(seed_text: str, seed: Plan):
    text = edit(seed_text, "**Primary Owner:** Miles Lopez", "**Primary Owner**: **Miles Lopez**.")
    assert parse_plan(text).pipelines[0] == seed.pipelines[0]


def test_parse_plan_unknown_anchor_is_reported_not_a_dependency(seed_text: str):
    text = edit(seed_text, "contact the [Profit Pipeline owners](#profit-pipeline)", "contact [them](#profit-pipline)")
    plan = parse_plan(text)
    assert pipeline(plan, "unit-level-profit-pipeline-for-experiments").depends_on == ()
    line = line_of(text, "(#profit-pipline)")
    assert plan.unparsed == (
        f"line {line}: Unit-Level Profit Pipeline for Experiments: the link to #profit-pipline matches no heading",
    )


def test_parse_plan_links_in_description_and_issues_are_dependencies_in_order(seed_text: str):
    text = edit(
        seed_text,
        "Enables the organization to monitor, analyze, and act on user engagement trends",
        "Joins [Daily Growth](#daily-growth-for-experiments-pipeline) with [Growth](#growth-pipeline) data",
    )
    text = edit(text, "- Bots need to be cleaned out of the data", "- Bots, see [Growth](#growth-pipeline) again")
    text = edit(text, "filter them out of the results", "filter them out (see [above](#engagement-pipeline))")
    plan = parse_plan(text)
    assert pipeline(plan, "engagement-pipeline").depends_on == (
        "daily-growth-for-experiments-pipeline",
        "growth-pipeline",
    )


@pytest.mark.parametrize(
    ("sentence", "rule"),
    [
        (
            "Contact Ray Charley with Sales if sales data isn't received by three days after the expected deadline",
            ("Ray Charley", "Sales", 3, "sales data"),
        ),
        (
            "Contact Ana Ruiz from Finance Ops if the ledger export is not received by 1 day after the deadline",
            ("Ana Ruiz", "Finance Ops", 1, "the ledger export"),
        ),
        (
            "If expense data hasn't been received by five days after the expected deadline, "
            "contact Ray Charley with Sales",
            ("Ray Charley", "Sales", 5, "expense data"),
        ),
    ],
)
def test_parse_plan_delay_rule_phrasings(seed_text: str, sentence: str, rule: tuple):
    text = edit(seed_text, "- Filter duplicated records", f"- {sentence}")
    growth = pipeline(parse_plan(text), "growth-pipeline")
    assert growth.delay_rules == (DelayRuleSpec(*rule, line=line_of(text, sentence)),)


def test_parse_plan_unreadable_delay_rule_is_refused(seed_text: str):
    text = edit(seed_text, "- Filter duplicated records", "- Contact Sales whenever the deadline slips")
    error = parse_error(text)
    assert error.line == line_of(text, "Contact Sales whenever")
    assert error.message.startswith(
        'Growth Pipeline: this looks like a delay rule but could not be read: "Contact Sales whenever the deadline slips"'
    )


@pytest.mark.parametrize(
    ("phrase", "start"),
    [("starting at 09:00", time(9, 0)), ("starting at 9 AM", time(9, 0)), ("starting at noon", time(12, 0))],
)
def test_parse_plan_oncall_figures_come_from_the_text(seed_text: str, phrase: str, start: time):
    text = edit(seed_text, "24 hour on-call schedule starting at midnight", f"24-hour on-call schedule {phrase}")
    text = edit(text, "rotates every 7 days", "rotates every 2 weeks")
    text = edit(text, "more than every 4 years", "more than once every three years")
    assert parse_plan(text).oncall == OnCallRules(
        shift_hours=24, shift_start=start, rotation_days=14, holiday_window_years=3
    )


def test_parse_plan_shift_length_the_portal_cannot_store_is_refused(seed_text: str):
    text = edit(seed_text, "24 hour on-call schedule", "12 hour on-call schedule")
    error = parse_error(text)
    assert error.line == line_of(text, "12 hour on-call schedule")
    assert "on-call shifts of 12 hours cannot be stored" in error.message


def test_parse_plan_sla_figures_come_from_the_text(seed_text: str):
    text = seed_text
    for old, new in [
        ("**99.5% of scheduled runs", "**99.9% of scheduled runs"),
        ("**8:00 AM UTC**", "**6:30 PM CET**"),
        ("Delays greater than **1 hour**", "Delays greater than **45 minutes**"),
        ("**0.1% of records**", "**0.25% of records**"),
        ("(e.g., transaction_id, date, amount)", "(e.g., `order_id`, amount and currency)"),
        ("within **15 minutes**", "within **10 minutes**"),
        ("within **3 hours**", "within **4 hours**"),
    ]:
        text = edit(text, old, new)
    assert parse_plan(text).sla == SlaFigures(
        availability_pct=Decimal("99.9"),
        deadline=time(18, 30),
        deadline_timezone="CET",
        delay_threshold=timedelta(minutes=45),
        bad_records_pct=Decimal("0.25"),
        critical_fields=("order_id", "amount", "currency"),
        acknowledge_minutes=10,
        resolution_hours=4,
    )


def test_parse_plan_missing_sla_figure_uses_default_and_is_reported(seed_text: str):
    text = edit(seed_text, "- Pipelines are expected to run successfully **99.5% of scheduled runs per month**.", "")
    text = edit(text, "within **15 minutes**", "promptly")
    plan = parse_plan(text)
    assert plan.sla.availability_pct == Decimal("99.5")
    assert plan.sla.acknowledge_minutes == 15
    sla_line = line_of(text, "### SLA")
    assert [note.split(";")[0] for note in plan.unparsed] == [
        f'line {sla_line}: the SLA section does not state the availability ("N% of scheduled runs")',
        f'line {sla_line}: the SLA section does not state the time to acknowledge ("acknowledged within 15 minutes")',
    ]
