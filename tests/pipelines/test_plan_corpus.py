"""A corpus of plans: the seed rewritten the ways people write Markdown, each importing to exactly the seed's
result, and broken plans, each refused with its line and cause.

The variants are made from the seed by the transformations below, so each one states the single way it
differs; every transformation asserts that it changed the text, so none passes vacuously.
"""

import re
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import pytest
from django.db import transaction

from pipelines.plan import Plan
from pipelines.plan_parser import parse_plan
from portal.services import maintenance_plan_import
from tests.portal.plan_dump import portal_dump

SEED = (Path(__file__).resolve().parents[2] / "data" / "maintenance-plan.md").read_text(encoding="utf-8")
SECOND_TEAM = Path(__file__).resolve().parent / "plans" / "second-team.md"

DETAIL = re.compile(r"^ {3,4}- ", re.MULTILINE)  # a member's Expertise and Responsibilities lines
CLAIM = re.compile(r"^ {5,6}- ", re.MULTILINE)  # "Primary owner of …" lines
ALIAS = re.compile(r"^  - ", re.MULTILINE)  # the Profit Pipeline's column aliases
BOLD_LABEL = re.compile(r"\*\*([A-Z][A-Za-z ]+):\*\*")


def sub(pattern, replacement, text: str, count: int = 0, flags: int = re.MULTILINE) -> str:
    if isinstance(pattern, re.Pattern):
        changed, n = pattern.subn(replacement, text, count=count)
    else:
        changed, n = re.subn(pattern, replacement, text, count=count, flags=flags)
    assert n, f"{pattern!r} matches nothing in the plan"
    return changed


def team_indent(detail: str, claim: str) -> Callable[[str], str]:
    # Claims first set aside, so that re-indenting the details cannot catch them.
    return lambda text: DETAIL.sub(detail + "- ", sub(CLAIM, "\0", text)).replace("\0", claim + "- ")


def alias_indent(indent: str) -> Callable[[str], str]:
    return lambda text: sub(ALIAS, indent + "- ", text)


def bullets(marker: str) -> Callable[[str], str]:
    return lambda text: sub(r"^(\s*)- ", rf"\g<1>{marker} ", text)


def labels(replacement: Callable[[re.Match], str]) -> Callable[[str], str]:
    return lambda text: sub(BOLD_LABEL, replacement, text)


def setext(text: str) -> str:
    text = sub(r"^# (.*)$", lambda m: f"{m[1]}\n{'=' * len(m[1])}", text)
    return sub(r"^## (.*)$", lambda m: f"{m[1]}\n{'-' * len(m[1])}", text)


def blank_lines_between_items(text: str) -> str:
    return sub(r"^(\s*(?:[-*+]|\d+\.) .*)\n(?=\s*(?:[-*+]|\d+\.) )", r"\1\n\n", text)


def flat_claims(text: str) -> str:
    """Claims straight under the member, without the "Pipeline Responsibilities:" line."""
    text = sub(r"^ +- Pipeline Responsibilities:\n", "", text)
    return sub(r"^ {5,6}- ", "   - ", text)


def owner_values(template: str) -> Callable[[str], str]:
    return lambda text: sub(r"\*\*(Primary Owner|Secondary Owner|Critical Downstream Team):\*\* (.*)$", template, text)


def chain(*steps: Callable[[str], str]) -> Callable[[str], str]:
    def run(text: str) -> str:
        for step in steps:
            text = step(text)
        return text

    return run


VARIANTS: dict[str, Callable[[str], str]] = {
    "team-indent-2": team_indent("  ", "    "),
    "team-indent-3": team_indent("   ", "      "),
    "team-indent-4": team_indent("    ", "        "),
    "team-indent-5": team_indent("     ", "          "),
    "team-indent-tabs": team_indent("\t", "\t\t"),
    "team-indent-2-claims-3": team_indent("  ", "     "),
    "alias-indent-3": alias_indent("   "),
    "alias-indent-4": alias_indent("    "),
    "alias-indent-tab": alias_indent("\t"),
    "star-bullets": bullets("*"),
    "plus-bullets": bullets("+"),
    "paren-numbering": lambda text: sub(r"^(\d)\. ", r"\1) ", text),
    "numbering-all-ones": lambda text: sub(r"^\d\. ", "1. ", text),
    "crlf": lambda text: text.replace("\n", "\r\n"),
    "bom": lambda text: "\ufeff" + text,
    "bom-crlf": lambda text: "\ufeff" + text.replace("\n", "\r\n"),
    "closing-hashes": lambda text: sub(r"^(#+) (.*)$", r"\1 \2 \1", text),
    "headings-one-level-deeper": lambda text: sub(r"^(#+) ", r"#\1 ", text),
    "headings-one-level-higher": lambda text: sub(r"^#(#+) ", r"\1 ", text),
    "heading-leading-space": lambda text: sub(r"^(#+ )", r" \1", text),
    "setext-headings": setext,
    "runbooks-plural": lambda text: sub("Datasets Runbook$", "Datasets Runbooks", text),
    "pipeline-headings-h4": lambda text: sub(r"^### ", "#### ", text),
    "no-blank-after-headings": lambda text: sub(r"^(#+ .*)\n\n", r"\1\n", text),
    "labels-without-bold": labels(lambda m: f"{m[1]}:"),
    "labels-lower-case": labels(lambda m: f"**{m[1].lower()}:**"),
    "labels-without-bold-lower-case": labels(lambda m: f"{m[1].lower()}:"),
    "labels-colon-outside": labels(lambda m: f"**{m[1]}**:"),
    "labels-underscores": labels(lambda m: f"__{m[1]}:__"),
    "bold-member-names": lambda text: sub(r"^(\d\. )([A-Z][a-z]+ [A-Z][a-z]+)", r"\1**\2**", text),
    "bold-owner-names": owner_values(r"**\1:** **\2**"),
    "owner-on-next-line": owner_values(r"**\1:**\n\2"),
    "owner-in-next-paragraph": owner_values(r"**\1:**\n\n\2"),
    "owner-with-full-stop": owner_values(r"**\1:** \2."),
    "blank-lines-between-items": blank_lines_between_items,
    "trailing-spaces": lambda text: sub(r"$", "   ", text),
    "double-blank-lines": lambda text: sub(r"\n\n", "\n\n\n", text, flags=0),
    "expertise-with-dash": lambda text: sub(r"- Expertise: ", "- Expertise - ", text),
    "expertise-bold-label": lambda text: sub(r"- Expertise: ", "- **Expertise:** ", text),
    "responsibilities-lower-case": lambda text: sub("Pipeline Responsibilities:", "pipeline responsibilities:", text),
    "responsibilities-bold": lambda text: sub("- Pipeline Responsibilities:", "- **Pipeline Responsibilities**:", text),
    "claims-straight-under-member": flat_claims,
    "en-dash-member-area": lambda text: sub(r"^(\d\. [A-Z][a-z]+ [A-Z][a-z]+) - ", r"\1 – ", text),
    "team-heading": lambda text: sub("^Team members:$", "## Team members", text),
    "team-label-bold": lambda text: sub("^Team members:$", "**Team members:**", text),
    "team-label-short": lambda text: sub("^Team members:$", "Team:", text),
    "wrapped-expertise": lambda text: sub(r"finances and statistical", "finances and\n      statistical", text),
    "known-issue-bold": lambda text: sub(r"\*Known Issue\*:", "**Known Issue:**", text),
    "oncall-weekly": lambda text: sub("rotates every 7 days", "rotates weekly", text),
    "oncall-hyphenated-hours": lambda text: sub("24 hour", "24-hour", text),
    "sla-24-hour-clock": lambda text: sub(r"8:00 AM UTC", "08:00 UTC", text),
    "sla-delay-in-minutes": lambda text: sub(r"\*\*1 hour\*\*", "**60 minutes**", text),
    "everything-at-once": chain(
        team_indent("  ", "    "),
        bullets("+"),
        lambda text: sub(r"^(\d)\. ", r"\1) ", text),
        labels(lambda m: f"{m[1].lower()}:"),
        lambda text: sub(r"^### ", "#### ", text),
        lambda text: sub(r"$", "  ", text),
        lambda text: "\ufeff" + text.replace("\n", "\r\n"),
    ),
}


def without_lines(plan: Plan) -> dict:
    """The plan's values without line numbers, which differ between layouts by design."""

    def strip(value):
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k != "line" and not k.endswith("_line")}
        if isinstance(value, list | tuple):
            return [strip(v) for v in value]
        return value

    return strip(asdict(plan))


def test_corpus_has_at_least_forty_variants():
    assert len(VARIANTS) >= 40
    assert len({variant(SEED) for variant in VARIANTS.values()}) == len(VARIANTS)  # all different texts


@pytest.mark.parametrize("name", VARIANTS)
def test_variant_reads_exactly_as_the_seed(name: str):
    plan = parse_plan(VARIANTS[name](SEED))
    assert without_lines(plan) == without_lines(parse_plan(SEED))
    assert plan.unparsed == ()


@pytest.mark.django_db
def test_every_variant_imported_over_the_seed_changes_nothing():
    maintenance_plan_import(plan=parse_plan(SEED))
    seed_dump = portal_dump()
    for name, variant in VARIANTS.items():
        summary = maintenance_plan_import(plan=parse_plan(variant(SEED)))
        assert (name, summary.created, summary.updated) == (name, {}, {})
    assert portal_dump() == seed_dump


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["team-indent-2", "setext-headings", "everything-at-once"])
def test_variant_imported_into_an_empty_portal_equals_the_seed(name: str):
    with transaction.atomic():
        maintenance_plan_import(plan=parse_plan(SEED))
        seed_dump = portal_dump()
        transaction.set_rollback(True)
    assert portal_dump()["members"] == []
    maintenance_plan_import(plan=parse_plan(VARIANTS[name](SEED)))
    assert portal_dump() == seed_dump
