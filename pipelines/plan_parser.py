"""Reads a maintenance plan written in Markdown into the plain values of `pipelines.plan`.

The structure comes from markdown-it-py's syntax tree (`plan_markdown`). This module finds the
sections; `plan_team` reads the team, `plan_runbook` each pipeline, `plan_owners` checks owners
across both, and `plan_rules` reads the figures in sentences. Layout is free (bullets, numbering,
indents, heading levels, bold or plain labels); meaning is strict: anything that would become a
member, an owner, a team, a leader flag or a figure reads exactly or raises `PlanError` naming its
line, and whatever is skipped is listed in `Plan.unparsed`. No Django here.
"""

import os
import re
from pathlib import Path

from markdown_it.tree import SyntaxTreeNode

from . import plan_rules
from .plan import Plan, PlanError
from .plan_markdown import Label, field_label, inline_of, line_of, parse_blocks, plain_text, units
from .plan_owners import check_owners, check_unique_pipelines
from .plan_runbook import read_pipeline, resolve_links, slugify_heading
from .plan_team import read_team

__all__ = ["decode_plan_bytes", "parse_plan", "read_plan_file", "slugify_heading"]


def decode_plan_bytes(data: bytes, name: str = "the file") -> str:
    """The text of a plan file; refuses binary data (any NUL byte, or bytes that are not UTF-8) and empty files."""
    if b"\x00" in data:
        raise PlanError(0, f"{name} is not a UTF-8 text file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PlanError(0, f"{name} is not a UTF-8 text file") from None
    if not text.strip():
        raise PlanError(0, "the file is empty")
    return text


def read_plan_file(path: str | os.PathLike[str]) -> Plan:
    """Read and parse the plan at `path`. `OSError` (missing file, no permission) is left to the caller."""
    file = Path(path)
    return parse_plan(decode_plan_bytes(file.read_bytes(), file.name))


def parse_plan(text: str) -> Plan:
    """Parse a whole maintenance plan; raises `PlanError` for a plan that cannot be imported safely."""
    if not text.strip():
        raise PlanError(0, "the file is empty")
    doc = _Document(*parse_blocks(text))
    notes: list[tuple[int, str]] = []
    members = read_team(*doc.team_blocks(), notes)
    pipelines = [read_pipeline(heading, blocks, doc.lines, notes) for heading, blocks in doc.pipeline_sections()]
    check_unique_pipelines([draft.spec for draft in pipelines])
    specs = resolve_links([text for _, _, text in doc.headings], pipelines, notes)
    specs = check_owners(members, specs)
    oncall = plan_rules.oncall_rules(*doc.units_of("oncall"), notes)
    sla = plan_rules.sla_figures(*doc.units_of("sla", notes), notes)
    doc.note_skipped(notes)
    return Plan(
        members=tuple(members),
        pipelines=tuple(specs),
        oncall=oncall,
        sla=sla,
        unparsed=tuple(f"line {line}: {what}" for line, what in sorted(notes, key=lambda note: note[0])),
    )


# --- sections ------------------------------------------------------------------------------------

_TEAM_LABEL = re.compile(r"^(?:the\s+)?team(?:\s+members?)?\s*:?$", re.IGNORECASE)
_RUNBOOK = re.compile(r"\brunbooks?\b", re.IGNORECASE)
_SLA = re.compile(r"\bSLA\b|service level agreement", re.IGNORECASE)
_ONCALL = re.compile(r"\bon[\s-]?call\b", re.IGNORECASE)


class _Document:
    """The top-level blocks, and which of them belong to the team, runbook, on-call and SLA sections."""

    def __init__(self, blocks: list[SyntaxTreeNode], lines: list[str]):
        self.blocks, self.lines = blocks, lines
        self.headings = [
            (i, int(b.tag[1]), plain_text(inline_of(b))) for i, b in enumerate(blocks) if b.type == "heading"
        ]
        self.used: set[int] = set()  # indexes of headings that open a known section
        self.team = next(
            (
                i
                for i, b in enumerate(blocks)
                if b.type in ("heading", "paragraph") and _TEAM_LABEL.match(plain_text(inline_of(b)))
            ),
            None,
        )
        if self.team is None:
            raise PlanError(0, 'the plan has no "Team members:" list, so no pipeline owner can be checked')
        self.runbook = next((h for h in self.headings if _RUNBOOK.search(h[2])), None)
        if self.runbook is None:
            raise PlanError(0, 'the plan has no runbook section (a heading such as "## Upstream Datasets Runbook")')
        self.sla = next((h for h in self.headings if _SLA.search(h[2])), None)
        self.oncall = next((h for h in self.headings if h is not self.sla and _ONCALL.search(h[2])), None)
        if self.headings and self.headings[0][0] < self.team:
            self.used.add(self.headings[0][0])  # the title

    def _end(self, index: int, level: int | None = None) -> int:
        """Index of the next heading after `index` (at `level` or above, when given)."""
        return next(
            (i for i, lvl, _ in self.headings if i > index and (level is None or lvl <= level)), len(self.blocks)
        )

    def team_blocks(self) -> tuple[list[SyntaxTreeNode], list[str], int]:
        self.used.add(self.team)
        return self.blocks[self.team + 1 : self._end(self.team)], self.lines, line_of(self.blocks[self.team])

    def pipeline_sections(self):
        index, level, _ = self.runbook
        self.used.add(index)
        end = self._end(index, level)
        inside = [h for h in self.headings if index < h[0] < end]
        if not inside:
            raise PlanError(
                line_of(self.blocks[index]),
                f'the runbook section has no pipelines: each pipeline needs a "{"#" * (level + 1)} <name>" heading',
            )
        pipeline_level = min(lvl for _, lvl, _ in inside)
        starts = [h for h in inside if h[1] == pipeline_level]
        for i, _, _ in starts:
            self.used.add(i)
            # Deeper headings inside a pipeline's section are part of its text.
            self.used.update(h[0] for h in inside if i < h[0] < self._end(i, pipeline_level))
        self.runbook_intro = self.blocks[index + 1 : starts[0][0]]
        for i, _, _ in starts:
            yield self.blocks[i], self.blocks[i + 1 : min(self._end(i, pipeline_level), end)]

    def units_of(self, which: str, notes: list | None = None) -> tuple[list[tuple[int, str]], int]:
        """(line, plain text) of the on-call or SLA section's paragraphs and items, and its heading's line."""
        heading = self.oncall if which == "oncall" else self.sla
        if heading is None:
            return [], 0
        index, level, _ = heading
        self.used.add(index)
        if which == "oncall":
            blocks = self.blocks[index + 1 : self._end(index)]
        else:
            end = self._end(index, level)
            self.used.update(h[0] for h in self.headings if index < h[0] < end)
            blocks = _known_sla_blocks(self.blocks[index + 1 : end], notes)
        return units(blocks), line_of(self.blocks[index])

    def note_skipped(self, notes: list[tuple[int, str]]) -> None:
        for index, _, text in self.headings:
            if index not in self.used:
                notes.append((line_of(self.blocks[index]), f'section "{text}" is not part of the plan format; skipped'))
        for block in getattr(self, "runbook_intro", []):
            notes.append((line_of(block), "text before the first pipeline of the runbook; skipped"))


_SLA_LABELS = {"objective", "availability", "timeliness", "data quality", "incident response", "escalation", "review"}


def _known_sla_blocks(blocks: list[SyntaxTreeNode], notes: list | None) -> list[SyntaxTreeNode]:
    """The SLA's blocks, less those under a label the SLA does not have (listed as skipped)."""
    kept, skipping = [], False
    for block in blocks:
        label = field_label(block) or (
            Label(plain_text(inline_of(block)).lower(), "", "", line_of(block)) if block.type == "heading" else None
        )
        if label is not None:
            skipping = label.name not in _SLA_LABELS
            if skipping and notes is not None:
                notes.append((label.line, f'SLA field "{label.name}" is not part of the plan format; skipped'))
        if not skipping:
            kept.append(block)
    return kept
