"""Plans that would store something wrong are refused, naming the line and the cause; what the format does not
know is listed as skipped; and the second team's plan, with its own quirks, reads exactly."""

from datetime import time, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from pipelines.plan import DelayRuleSpec, OnCallRules, PlanError, SlaFigures
from pipelines.plan_parser import parse_plan, read_plan_file

SEED = (Path(__file__).resolve().parents[2] / "data" / "maintenance-plan.md").read_text(encoding="utf-8")
SECOND_TEAM = Path(__file__).resolve().parent / "plans" / "second-team.md"


def edited(*replacements: tuple[str, str]) -> str:
    text = SEED
    for old, new in replacements:
        assert old in text, f"the seed no longer contains {old!r}"
        text = text.replace(old, new, 1)
    return text


def line_of(text: str, fragment: str) -> int:
    return next(number for number, line in enumerate(text.splitlines(), start=1) if fragment in line)


BAD_PLANS = {
    "detail-outdented-to-a-member": (
        [("   - Expertise: Growth & Experiments", "- Expertise: Growth & Experiments")],
        "- Expertise: Growth & Experiments",
        '"Expertise: Growth & Experiments - previous experience',
    ),
    "owner-not-a-member": (
        [("**Primary Owner:** Miles Lopez", "**Primary Owner:** Miles Lopes")],
        "Miles Lopes",
        'primary owner "Miles Lopes" of "Profit Pipeline" is not a team member',
    ),
    "two-owners-in-one-field": (
        [("**Secondary Owner:** Jasmine Glancy", "**Secondary Owner:** Jasmine Glancy and Hudson King")],
        "Jasmine Glancy and Hudson King",
        'secondary owner "Jasmine Glancy and Hudson King" of "Profit Pipeline" is not a team member',
    ),
    "second-value-under-an-owner": (
        [("**Primary Owner:** Miles Lopez\n", "**Primary Owner:** Miles Lopez\n\nHudson King on Fridays\n")],
        "Hudson King on Fridays",
        'Profit Pipeline: "Primary Owner" takes one value; "Hudson King on Fridays" is a second one',
    ),
    "two-downstream-teams": (
        [("**Critical Downstream Team:** Growth team", "**Critical Downstream Team:** Growth team, Profit team")],
        "Growth team, Profit team",
        'the critical downstream team is one team; "Growth team, Profit team" names several',
    ),
    "deadline-in-pst": (
        [("**8:00 AM UTC**", "**8:00 AM PST**")],
        "8:00 AM PST",
        '"PST" is not a time zone name the portal knows; use UTC or a name such as Europe/Paris '
        "(for PST, write America/Los_Angeles)",
    ),
    "twelve-hour-shifts": (
        [("24 hour on-call", "12 hour on-call")],
        "12 hour on-call",
        "on-call shifts of 12 hours cannot be stored",
    ),
    "rotation-stated-twice": (
        [("On-call rotates every 7 days.", "On-call rotates every 7 days. On-call rotates every 14 days.")],
        "On-call rotates every 7 days.",
        "the on-call section states rotation days twice",
    ),
    "leader-buried-in-a-sentence": (
        [("Growth & Investors - Team leader", "Growth & Investors, and our team leader since 2024")],
        "our team leader since 2024",
        "mentions a team lead, but not as its own part",
    ),
    "claim-without-a-link": (
        [("Primary owner of the [Growth Pipeline](#growth-pipeline)", "Primary owner of the Growth Pipeline")],
        "Primary owner of the Growth Pipeline",
        'responsibility of Jackson Long could not be read: "Primary owner of the Growth Pipeline and Daily',
    ),
    "expertise-twice": (
        [("   - Expertise: Growth & Investors - Team leader\n", "   - Expertise: Growth\n   - Expertise: Investors\n")],
        "Expertise: Investors",
        'Hudson King has a second "Expertise"',
    ),
    "availability-stated-twice-differently": (
        [
            (
                "**99.5% of scheduled runs per month**.",
                "**99.5% of scheduled runs per month**, or 99% of scheduled runs.",
            )
        ],
        "or 99% of scheduled runs",
        "the SLA states the availability twice, differently",
    ),
    "schedule-not-cron": (
        [
            (
                "**Critical Downstream Team:** Price team",
                "**Critical Downstream Team:** Price team\n\n**Schedule:** daily",
            )
        ],
        "**Schedule:** daily",
        'Engagement Pipeline: the schedule "daily" is not a cron expression',
    ),
    "common-issues-twice": (
        [("**Standard Procedures:**  Follow up", "**Common Issues:** none\n\n**Standard Procedures:**  Follow up")],
        "**Common Issues:** none",
        'Daily Growth for Experiments Pipeline has a second "common issues" field',
    ),
    "critical-fields-not-names": (
        [("(e.g., transaction_id, date, amount)", "(e.g., the transaction id, date)")],
        "(e.g., the transaction id, date)",
        "the critical fields must be column names separated by commas",
    ),
    "delay-rule-unreadable": (
        [("- Filter duplicated records", "- Contact Sales whenever the deadline slips")],
        "Contact Sales whenever",
        "Growth Pipeline: this looks like a delay rule but could not be read",
    ),
    "deadline-not-a-time": (
        [("**8:00 AM UTC**", "**13:00 PM UTC**")],
        "13:00 PM UTC",
        '"13:00 PM" is not a time of day',
    ),
}


@pytest.mark.parametrize("name", BAD_PLANS)
def test_bad_plan_refused_with_line_and_cause(name: str):
    replacements, fragment, cause = BAD_PLANS[name]
    text = edited(*replacements)
    with pytest.raises(PlanError) as caught:
        parse_plan(text)
    assert caught.value.line == line_of(text, fragment)
    assert cause in caught.value.message


@pytest.mark.parametrize(
    ("expertise", "is_manager"),
    [
        ("Growth & Investors - Team leader", True),
        ("Growth & Investors - Team lead", True),
        ("Growth & Investors - team leader.", True),
        ("Growth & Investors - Investor relations", False),
    ],
)
def test_team_lead_and_team_leader_both_set_the_flag(expertise: str, is_manager: bool):
    plan = parse_plan(edited(("Growth & Investors - Team leader", expertise)))
    assert [m.name for m in plan.members if m.is_manager] == (["Hudson King"] if is_manager else [])
    assert plan.members[3].area == "Growth & Investors"


def test_team_leader_as_a_detail_of_its_own_sets_the_flag():
    plan = parse_plan(edited(("   - Expertise: Growth & Investors - Team leader\n", "   - Team leader\n")))
    hudson = plan.members[3]
    assert (hudson.is_manager, hudson.expertise, hudson.area) == (True, "", "Growth & Investors")


def test_deadline_time_zone_by_its_name_is_kept():
    plan = parse_plan(edited(("**8:00 AM UTC**", "**8:00 AM America/Los_Angeles**")))
    assert (plan.sla.deadline, plan.sla.deadline_timezone) == (time(8, 0), "America/Los_Angeles")


def test_unknown_sections_fields_and_details_are_listed_as_skipped():
    text = edited(
        ("## On-Call Schedule", "## Glossary\n\nSLA means what it says.\n\n## On-Call Schedule"),
        (
            "**Critical Downstream Team:** Price team",
            "**Critical Downstream Team:** Price team\n\n**Dashboard:** Looker",
        ),
        ("   - Expertise: Growth & Investors", "   - Favourite tool: Spark\n   - Expertise: Growth & Investors"),
        ("**Review:**", "**Budget:**\n\n- 40 hours a month\n\n**Review:**"),
        ("new team members inherit", "new team members inherit. Pager duty is paid weekly and"),
    )
    assert parse_plan(text).unparsed == (
        f"line {line_of(text, 'Favourite tool')}: detail of Hudson King not part of the plan format; skipped: "
        '"Favourite tool: Spark"',
        f'line {line_of(text, "**Dashboard:**")}: field "dashboard" of Engagement Pipeline is not part of the plan '
        "format; skipped",
        f'line {line_of(text, "## Glossary")}: section "Glossary" is not part of the plan format; skipped',
        f'line {line_of(text, "Pager duty")}: on-call sentence not understood; skipped: "Pager duty is paid weekly '
        'and the freed holidays from the previous team member."',
        f'line {line_of(text, "**Budget:**")}: SLA field "budget" is not part of the plan format; skipped',
    )


def test_second_team_plan_reads_exactly():
    plan = read_plan_file(SECOND_TEAM)
    assert [(m.name, m.area, m.is_manager) for m in plan.members] == [
        ("Priya Natarajan", "Attribution & Campaigns", True),
        ("Tomás Ferreira", "Web Analytics", False),
        ("Amara Okafor", "CRM", False),
        ("Jonas Weber", "Data Platform", False),
        ("Lin Zhao", "Analytics Engineering", False),
    ]
    assert {p.slug: (p.name, p.primary_owner, p.secondary_owner, p.downstream_team) for p in plan.pipelines} == {
        "campaign-spend--returns-pipeline": (
            "Campaign Spend & Returns Pipeline",
            "Priya Natarajan",
            "Jonas Weber",
            "Finance",
        ),
        "web-sessions-pipeline": ("Web Sessions Pipeline", "Tomás Ferreira", "Priya Natarajan", None),
        "email-engagement-pipeline": ("Email Engagement Pipeline", "Amara Okafor", "Tomás Ferreira", "Lifecycle"),
        "lead-scoring-pipeline": ("Lead Scoring Pipeline", "Amara Okafor", "Jonas Weber", "Sales"),
    }
    by_slug = {p.slug: p for p in plan.pipelines}
    assert by_slug["lead-scoring-pipeline"].depends_on == ("web-sessions-pipeline", "email-engagement-pipeline")
    assert by_slug["lead-scoring-pipeline"].critical_fields == ("lead_id", "scored_at")
    assert by_slug["campaign-spend--returns-pipeline"].schedule == "30 5 * * *"
    text = SECOND_TEAM.read_text(encoding="utf-8")
    assert by_slug["campaign-spend--returns-pipeline"].delay_rules == (
        DelayRuleSpec("Marta Silva", "Paid Media", 1, "spend data", line_of(text, "contact Marta Silva")),
    )
    assert [i.known_issue for i in by_slug["campaign-spend--returns-pipeline"].common_issues] == [True, False]
    assert plan.oncall == OnCallRules(shift_hours=24, shift_start=time(0, 0), rotation_days=14, holiday_window_years=3)
    assert plan.sla == SlaFigures(
        availability_pct=Decimal("99.0"),
        deadline=time(7, 30),
        deadline_timezone="Europe/Berlin",
        delay_threshold=timedelta(minutes=30),
        bad_records_pct=Decimal("0.5"),
        critical_fields=("lead_id", "campaign_id"),
        acknowledge_minutes=30,
        resolution_hours=6,
    )
    assert plan.unparsed == ()
