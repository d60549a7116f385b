"""Reads a maintenance plan written in Markdown into the plain values of `pipelines.plan`.

The plan is written by people, so the parser is lenient about layout (uneven list indents,
trailing spaces, bold field labels with or without the colon inside) and strict about meaning:
anything that would store a wrong owner or an ambiguous pipeline raises `PlanError` with the line
to fix; anything it can merely skip is reported in `Plan.unparsed`.

No Django here: the import services store the result.
"""

import os
import re
from dataclasses import dataclass, replace
from datetime import time, timedelta
from decimal import Decimal
from pathlib import Path

from .plan import (
    CommonIssue,
    DelayRuleSpec,
    MemberSpec,
    OnCallRules,
    OwnershipClaim,
    PipelineSpec,
    Plan,
    PlanError,
    SlaFigures,
)

__all__ = ["decode_plan_bytes", "parse_plan", "read_plan_file", "slugify_heading"]

# --- public functions --------------------------------------------------------------------------


def slugify_heading(heading: str) -> str:
    """GitHub's heading anchor: lower case, punctuation other than `-` and `_` dropped, each space a hyphen.

    Link syntax is reduced to its text first, as GitHub slugs the rendered heading.
    """
    text = _LINK.sub(lambda m: m.group("label"), heading.strip()).lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


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
    doc = _Document(text)
    if not any(line.strip() for line in doc.lines):
        raise PlanError(0, "the file is empty")
    notes = _Notes()
    team_span = _team_section(doc)
    runbook_heading, pipeline_headings, runbook_end = _runbook_section(doc)

    members = _parse_team(doc, team_span, notes)
    pipelines = [
        _parse_pipeline(doc, heading, end, notes)
        for heading, end in zip(pipeline_headings, [h.line for h in pipeline_headings[1:]] + [runbook_end], strict=True)
    ]
    _check_unique_pipelines(pipelines)
    pipelines = _resolve_links(doc, pipelines, notes)
    pipelines = _check_owners(members, pipelines)

    oncall_span, sla_span = _oncall_and_sla_sections(doc)
    oncall = _parse_oncall(doc, oncall_span, sla_span, notes)
    sla = _parse_sla(doc, sla_span, notes)
    known = {runbook_heading, *pipeline_headings}
    known |= {span.heading for span in (team_span, oncall_span, sla_span) if span and span.heading}
    _note_unknown_sections(doc, known, notes)
    return Plan(
        members=tuple(members),
        pipelines=tuple(pipelines),
        oncall=oncall,
        sla=sla,
        unparsed=notes.sorted(),
    )


# --- document model ----------------------------------------------------------------------------

_HEADING = re.compile(r"^ {0,3}(?P<hashes>#{1,6})(?:[ \t]+(?P<text>.*?))?(?:[ \t]+#+)?[ \t]*$")
_FENCE = re.compile(r"^\s*(?P<fence>`{3,}|~{3,})")
_LINK = re.compile(r"\[(?P<label>[^\]]*)\]\((?P<target>[^)\s]*)\)")
_ANCHOR_LINK = re.compile(r"\[(?P<label>[^\]]*)\]\(#(?P<anchor>[^)\s]+)\)")
_BULLET = re.compile(r"^(?P<indent> *)(?P<marker>[-*+]|\d{1,9}[.)])(?:(?P<gap> +)(?P<text>.*))?$")
_EMPHASIS = re.compile(r"\*\*|__")


@dataclass(frozen=True)
class _Heading:
    line: int
    level: int
    text: str


@dataclass(frozen=True)
class _Span:
    """Lines `start`..`end - 1` (1-based) of a section, and the heading that opened it, if any."""

    heading: _Heading | None
    start: int
    end: int


class _Document:
    """The plan's lines (1-based), which of them sit inside fenced code, and its headings."""

    def __init__(self, text: str):
        text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
        # Trailing spaces are Markdown hard breaks at most; dropping them keeps field values clean.
        self.lines = [line.expandtabs(4).rstrip() for line in text.split("\n")]
        self.fenced = [False] * len(self.lines)
        self.headings: list[_Heading] = []
        fence = ""
        for index, line in enumerate(self.lines):
            match = _FENCE.match(line)
            if fence:
                self.fenced[index] = True
                if match and match["fence"][0] == fence[0] and len(match["fence"]) >= len(fence):
                    fence = ""
                continue
            if match:
                fence = match["fence"]
                continue
            heading = _HEADING.match(line)
            if heading:
                self.headings.append(_Heading(index + 1, len(heading["hashes"]), (heading["text"] or "").strip()))

    def line(self, number: int) -> str:
        return self.lines[number - 1]

    def numbered(self, start: int, end: int) -> list[tuple[int, str, bool]]:
        """(line number, text, inside fenced code) for lines `start`..`end - 1`."""
        return [(n, self.lines[n - 1], self.fenced[n - 1]) for n in range(start, end)]

    def section_end(self, heading: _Heading) -> int:
        """The line of the next heading at the same or a higher level, or one past the last line."""
        for other in self.headings:
            if other.line > heading.line and other.level <= heading.level:
                return other.line
        return len(self.lines) + 1

    def next_heading_line(self, after: int) -> int:
        return next((h.line for h in self.headings if h.line > after), len(self.lines) + 1)


class _Notes:
    """The `unparsed` report: "line N: what", in line order."""

    def __init__(self):
        self._items: list[tuple[int, str]] = []

    def add(self, line: int, what: str) -> None:
        self._items.append((line, what))

    def sorted(self) -> tuple[str, ...]:
        return tuple(f"line {line}: {what}" for line, what in sorted(self._items, key=lambda item: item[0]))


def _plain(text: str) -> str:
    """Text without bold markers and with single spaces, for matching labels and names."""
    return " ".join(_EMPHASIS.sub("", text).split())


# --- Markdown lists ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Row:
    """One line of a Markdown block, placed in its list structure.

    `level` is the list depth of an item, or of the item a text line belongs to (-1 outside any list);
    `extra` is a text line's indentation beyond its item's content column (nested code, say).
    """

    line: int
    kind: str  # "item" | "text" | "blank"
    level: int
    text: str = ""
    marker: str = ""
    extra: int = 0
    fenced: bool = False


def _rows(lines: list[tuple[int, str, bool]]) -> list[_Row]:
    """Place each line in its list; nesting follows CommonMark's content columns, whatever the indent width."""
    rows: list[_Row] = []
    columns: list[int] = []  # content column of each open item, outermost first
    after_blank = True
    for number, line, fenced in lines:
        if not line.strip():
            rows.append(_Row(number, "blank", len(columns) - 1, fenced=fenced))
            after_blank = True
            continue
        indent = len(line) - len(line.lstrip(" "))
        bullet = None if fenced else _BULLET.match(line)
        if bullet:
            while columns and indent < columns[-1]:
                columns.pop()
            level = len(columns)
            text = bullet["text"] or ""
            width = len(bullet["gap"]) if bullet["gap"] and len(bullet["gap"]) <= 4 else 1
            columns.append(indent + len(bullet["marker"]) + width)
            rows.append(_Row(number, "item", level, text.strip(), bullet["marker"]))
        else:
            # After a blank line a less indented line closes the items it is not inside; directly
            # after an item it is a lazy continuation of that item's paragraph.
            if after_blank and not fenced:
                while columns and indent < columns[-1]:
                    columns.pop()
            extra = max(0, indent - columns[-1]) if columns else indent
            rows.append(_Row(number, "text", len(columns) - 1, line.strip(), extra=extra, fenced=fenced))
        after_blank = False
    return rows


def _render(rows: list[_Row], base_level: int = 0) -> str:
    """Markdown for `rows`, nested lists re-indented four spaces a level.

    Four spaces nest a list in Python-Markdown (the portal's renderer) as well as in CommonMark;
    the plan's own two- and three-space indents only work in the latter.
    """
    out: list[str] = []
    previous: _Row | None = None
    for row in rows:
        level = row.level - base_level
        if row.kind == "blank":
            if row.fenced or (out and out[-1]):
                out.append("")
        elif row.kind == "item":
            # Python-Markdown needs a blank line between a paragraph and the list after it.
            if previous and previous.kind == "text" and previous.level - base_level < 0 and out and out[-1]:
                out.append("")
            out.append("    " * max(level, 0) + f"{row.marker} {row.text}".rstrip())
        else:
            indent = row.extra if level < 0 else 4 * (level + 1) + row.extra
            out.append(" " * indent + row.text)
        previous = row
    while out and not out[-1]:
        out.pop()
    return "\n".join(out)


# --- sections ------------------------------------------------------------------------------------

_TEAM_LABEL = re.compile(r"^\s*(?:#{1,6}\s+)?(?:the\s+)?team(?:\s+members?)?\s*:?\s*$", re.IGNORECASE)


def _team_section(doc: _Document) -> _Span:
    """The "Team members:" list, up to the next heading."""
    for number, line in enumerate(doc.lines, start=1):
        if not doc.fenced[number - 1] and _TEAM_LABEL.match(_plain(line)):
            heading = next((h for h in doc.headings if h.line == number), None)
            return _Span(heading, number + 1, doc.next_heading_line(number))
    raise PlanError(0, 'the plan has no "Team members:" list, so no pipeline owner can be checked')


def _runbook_section(doc: _Document) -> tuple[_Heading, list[_Heading], int]:
    """The runbook heading, its pipeline headings (one level below it) and the line where it ends."""
    runbook = next((h for h in doc.headings if re.search(r"\brunbook\b", h.text, re.IGNORECASE)), None)
    if runbook is None:
        raise PlanError(0, 'the plan has no runbook section (a heading such as "## Upstream Datasets Runbook")')
    end = doc.section_end(runbook)
    pipelines = [h for h in doc.headings if runbook.line < h.line < end and h.level == runbook.level + 1]
    if not pipelines:
        raise PlanError(
            runbook.line,
            f'the runbook section has no pipelines: each pipeline needs a "{"#" * (runbook.level + 1)} <name>" heading',
        )
    return runbook, pipelines, end


def _oncall_and_sla_sections(doc: _Document) -> tuple[_Span | None, _Span | None]:
    sla = next((h for h in doc.headings if re.search(r"\bSLA\b|service level agreement", h.text, re.IGNORECASE)), None)
    oncall = next(
        (h for h in doc.headings if h is not sla and re.search(r"\bon[\s-]?call\b", h.text, re.IGNORECASE)), None
    )
    return (
        _Span(oncall, oncall.line + 1, doc.section_end(oncall)) if oncall else None,
        _Span(sla, sla.line + 1, doc.section_end(sla)) if sla else None,
    )


def _note_unknown_sections(doc: _Document, known: set[_Heading], notes: _Notes) -> None:
    """Top-level sections the plan format does not define are skipped, and said so (the title excepted)."""
    titles = [h for h in doc.headings if h.level == 1][:1]
    for heading in doc.headings:
        if heading.level <= 2 and heading not in known and heading not in titles:
            notes.add(heading.line, f'section "{heading.text}" is not part of the plan format; skipped')


# --- team ----------------------------------------------------------------------------------------

_NAME_AND_AREA = re.compile(r"^(?P<name>.+?)\s+[-–—]\s+(?P<area>.+)$")
_EXPERTISE = re.compile(r"^expertise\s*:\s*(?P<rest>.*)$", re.IGNORECASE)
_AREA = re.compile(r"^area\s*:\s*(?P<rest>.*)$", re.IGNORECASE)
_RESPONSIBILITIES = re.compile(r"^(?:pipeline\s+)?responsibilities\s*:?\s*(?P<rest>.*)$", re.IGNORECASE)
_CLAIM = re.compile(r"^(?P<role>primary|secondary)\s+owner\s+(?:of|for)\b", re.IGNORECASE)
_TEAM_LEADER = re.compile(r"\bteam\s+leader\b", re.IGNORECASE)


def _parse_team(doc: _Document, span: _Span, notes: _Notes) -> list[MemberSpec]:
    """Members are the outermost list items; what is nested under one is read by its label, not its indent."""
    entries: list[_Row] = []
    for row in _rows(doc.numbered(span.start, span.end)):
        if row.kind == "item":
            entries.append(row)
        elif row.kind == "text" and row.level >= 0 and entries:
            last = entries[-1]  # a wrapped line belongs to the item above it
            entries[-1] = _Row(last.line, last.kind, last.level, f"{last.text} {row.text}", last.marker)
        elif row.kind == "text":
            notes.add(row.line, f'text in the team section that is not part of a member\'s entry: "{row.text}"')

    groups: list[list[_Row]] = []
    for entry in entries:
        if entry.level == 0:
            groups.append([entry])
        elif groups:
            groups[-1].append(entry)
    if not groups:
        line = span.heading.line if span.heading else span.start - 1
        raise PlanError(line, "the team section lists no members")

    members: list[MemberSpec] = []
    seen: dict[str, int] = {}
    for head, *details in groups:
        member = _parse_member(head, details, notes)
        key = member.name.casefold()
        if key in seen:
            raise PlanError(
                member.line, f"{member.name} is listed twice in the team section (also on line {seen[key]})"
            )
        seen[key] = member.line
        members.append(member)
    return members


def _parse_member(head: _Row, details: list[_Row], notes: _Notes) -> MemberSpec:
    heading = _plain(head.text)
    match = _NAME_AND_AREA.match(heading)
    name, heading_area = (match["name"], match["area"]) if match else (heading, "")
    name = name.strip(" *_")
    if not name:
        raise PlanError(head.line, "a team member entry has no name")
    expertise = ""
    area = ""
    claims: list[OwnershipClaim] = []
    for row in details:
        text = _plain(row.text)
        if found := _EXPERTISE.match(text):
            expertise = found["rest"]
        elif found := _AREA.match(text):
            area = found["rest"]
        elif found := _RESPONSIBILITIES.match(text):
            if found["rest"]:
                claims.extend(_claims(row.line, found["rest"], name, notes))
        elif _CLAIM.match(text):
            claims.extend(_claims(row.line, text, name, notes))
        else:
            notes.add(row.line, f'detail of {name} not understood: "{row.text}"')
    if not expertise:
        notes.add(head.line, f'{name} has no "Expertise:" line')
    area = heading_area or area or expertise.partition(" - ")[0].strip()
    is_manager = bool(_TEAM_LEADER.search(heading) or _TEAM_LEADER.search(expertise))
    return MemberSpec(
        name=name, area=area, expertise=expertise, is_manager=is_manager, claims=tuple(claims), line=head.line
    )


def _claims(line: int, text: str, name: str, notes: _Notes) -> list[OwnershipClaim]:
    """ "Primary owner of the [A](#a) and [B](#b)." → a claim per linked pipeline."""
    role_match = _CLAIM.match(text)
    if not role_match:
        notes.add(line, f'responsibility of {name} not understood: "{text}"')
        return []
    anchors = [m["anchor"].lower() for m in _ANCHOR_LINK.finditer(text)]
    if not anchors:
        notes.add(line, f'responsibility of {name} links to no pipeline (use [Name](#pipeline-anchor)): "{text}"')
    role = role_match["role"].lower()
    return [OwnershipClaim(role=role, pipeline_slug=anchor, line=line) for anchor in anchors]


# --- pipelines -----------------------------------------------------------------------------------

_FIELD = re.compile(r"^ {0,3}(?:\*\*|__)\s*(?P<label>[^*_:\n]+?)\s*(?::\s*(?:\*\*|__)|(?:\*\*|__)\s*:)\s*(?P<rest>.*)$")
_FIELD_KINDS = {
    "primary owner": "primary",
    "secondary owner": "secondary",
    "common issues": "issues",
    "common issue": "issues",
    "known issues": "issues",
    "standard procedures": "procedures",
    "standard procedure": "procedures",
    "procedures": "procedures",
    "critical downstream team": "downstream",
    "critical downstream teams": "downstream",
    "downstream team": "downstream",
}
_SINGLE_VALUE_KINDS = {"primary", "secondary", "downstream"}
_KNOWN_ISSUE = re.compile(
    r"^(?:\*\*|\*|_)\s*known\s+issues?\s*(?::\s*(?:\*\*|\*|_)|(?:\*\*|\*|_)\s*:)\s*", re.IGNORECASE
)
_ALIAS_PROCEDURE = re.compile(r"\baliases\b|\balias\b", re.IGNORECASE)
_COLUMN_NAME = re.compile(r"^`?(?P<name>[A-Za-z_][\w.]*)`?")
_NOTHING = {"", "none", "n/a", "na", "-", "—"}


@dataclass
class _PipelineDraft:
    """A pipeline's sections as read, before links and owners are checked against the rest of the plan."""

    spec: PipelineSpec
    linked_lines: list[tuple[int, str]]  # description, issue and procedure lines: where dependencies are read


def _parse_pipeline(doc: _Document, heading: _Heading, end: int, notes: _Notes) -> _PipelineDraft:
    name = _plain(heading.text)
    if not name:
        raise PlanError(heading.line, "a pipeline heading has no name")
    sections: dict[str, list[tuple[int, str, bool]]] = {"description": []}
    field_lines: dict[str, int] = {}
    current = "description"
    for number, line, fenced in doc.numbered(heading.line + 1, end):
        field = None if fenced else _FIELD.match(line)
        if field is None:
            sections.setdefault(current, []).append((number, line, fenced))
            continue
        label = _plain(field["label"])
        kind = _FIELD_KINDS.get(label.lower())
        if kind is None and current in _SINGLE_VALUE_KINDS | {"skipped"}:
            notes.add(number, f'field "{label}" of {name} is not part of the plan format; skipped')
            current = "skipped"
            continue
        if kind is None:
            # A bold lead-in such as "**Note:**" inside a description or procedure is part of its text.
            sections[current].append((number, line, fenced))
            continue
        if kind in _SINGLE_VALUE_KINDS and kind in field_lines:
            raise PlanError(number, f'{name} has a second "{label}" field (the first is on line {field_lines[kind]})')
        field_lines.setdefault(kind, number)
        current = kind
        sections.setdefault(kind, [])
        if field["rest"].strip():
            sections[kind].append((number, field["rest"].strip(), False))

    primary, primary_line = _single_value(sections.get("primary", []), name, "Primary Owner", notes)
    secondary, secondary_line = _single_value(sections.get("secondary", []), name, "Secondary Owner", notes)
    if primary is None:
        where = ""
        if "primary" in field_lines:
            where = f' (its "Primary Owner" field on line {field_lines["primary"]} is empty)'
        raise PlanError(heading.line, f'pipeline "{name}" has no primary owner{where}')
    downstream, _ = _single_value(sections.get("downstream", []), name, "Critical Downstream Team", notes)
    if downstream:
        downstream = re.sub(r"\s+teams?$", "", downstream.rstrip("."), flags=re.IGNORECASE).strip() or None

    procedures_rows = _rows(sections.get("procedures", []))
    linked = [
        (number, line)
        for kind in ("description", "issues", "procedures")
        for number, line, fenced in sections.get(kind, [])
        if not fenced  # a link-like string in a code block links nowhere
    ]
    linked.sort()
    spec = PipelineSpec(
        name=name,
        slug=slugify_heading(name),
        line=heading.line,
        description=_render(_rows(sections["description"])),
        common_issues=_common_issues(_rows(sections.get("issues", []))),
        standard_procedures=_render(procedures_rows),
        column_aliases=_column_aliases(procedures_rows, name, notes),
        primary_owner=primary,
        primary_owner_line=primary_line,
        secondary_owner=secondary,
        secondary_owner_line=secondary_line,
        downstream_team=downstream,
        delay_rules=_delay_rules(linked, name, notes),
    )
    return _PipelineDraft(spec, linked)


def _single_value(
    lines: list[tuple[int, str, bool]], pipeline: str, label: str, notes: _Notes
) -> tuple[str | None, int]:
    """A one-line field's value (on the label's line or the next), with its line; (None, 0) when empty."""
    values = [(number, line) for number, line, _fenced in lines if line.strip()]
    if not values:
        return None, 0
    (number, value), *rest = values
    for extra_line, extra in rest:
        notes.add(extra_line, f'{pipeline}: "{extra.strip()}" after its "{label}" field was ignored')
    value = _plain(_LINK.sub(lambda m: m.group("label"), value)).strip(" *_").removesuffix(".")
    if value.lower() in _NOTHING:
        return None, 0
    return value, number


def _common_issues(rows: list[_Row]) -> tuple[CommonIssue, ...]:
    """One issue per outermost list item (nested lines stay with it), or per paragraph of plain text."""
    groups: list[list[_Row]] = []
    for row in rows:
        if row.kind == "item" and row.level == 0:
            groups.append([row])
        elif row.kind == "text" and row.level < 0:
            if groups and groups[-1][-1].kind == "text" and groups[-1][-1].level < 0:
                groups[-1].append(row)
            else:
                groups.append([row])
        elif groups and (row.kind != "blank" or groups[-1][0].kind == "item"):
            groups[-1].append(row)
    issues = []
    for head, *rest in groups:
        first = _Row(head.line, "text", 0 if head.kind == "item" else -1, head.text)
        base = 1 if head.kind == "item" else 0
        text = _render([first, *rest], base_level=base)
        marker = _KNOWN_ISSUE.match(text)
        if marker:
            text = text[marker.end() :]
        if text.strip().lower() in _NOTHING:
            continue
        issues.append(CommonIssue(text=text.strip(), known_issue=bool(marker)))
    return tuple(issues)


def _column_aliases(rows: list[_Row], pipeline: str, notes: _Notes) -> tuple[str, ...]:
    """The items nested directly under a procedure about giving columns their aliases."""
    aliases: list[str] = []
    for index, row in enumerate(rows):
        if row.kind != "item" or not _ALIAS_PROCEDURE.search(row.text):
            continue
        found = []
        for child in rows[index + 1 :]:
            if child.kind == "item" and child.level <= row.level:
                break
            if child.kind == "item" and child.level == row.level + 1:
                name = _COLUMN_NAME.match(child.text.strip())
                if name:
                    found.append(name["name"])
                else:
                    notes.add(child.line, f'{pipeline}: "{child.text}" is not a column name')
        if not found:
            notes.add(row.line, f"{pipeline}: the procedure about column aliases lists no column names")
        aliases.extend(alias for alias in found if alias not in aliases)
    return tuple(aliases)


def _check_unique_pipelines(drafts: list[_PipelineDraft]) -> None:
    seen: dict[str, PipelineSpec] = {}
    for draft in drafts:
        spec = draft.spec
        first = seen.get(spec.slug)
        if first is not None:
            if first.name == spec.name:
                message = f'pipeline "{spec.name}" is already described under the heading on line {first.line}'
            else:
                message = (
                    f'pipeline "{spec.name}" has the same anchor #{spec.slug} as "{first.name}" on line {first.line}'
                )
            raise PlanError(spec.line, message)
        seen[spec.slug] = spec


def _resolve_links(doc: _Document, drafts: list[_PipelineDraft], notes: _Notes) -> list[PipelineSpec]:
    """Dependencies are links to other pipelines' anchors, in order of first appearance.

    `#https://…` links are a known slip of the plan that the renderer repairs, so they are let be;
    other anchors that match no heading are probably typos and are reported.
    """
    pipeline_slugs = {draft.spec.slug for draft in drafts}
    heading_slugs = {slugify_heading(h.text) for h in doc.headings}
    specs = []
    for draft in drafts:
        depends_on: list[str] = []
        for number, line in draft.linked_lines:
            for link in _ANCHOR_LINK.finditer(line):
                anchor = link["anchor"].lower()
                if anchor in pipeline_slugs:
                    if anchor != draft.spec.slug and anchor not in depends_on:
                        depends_on.append(anchor)
                elif anchor not in heading_slugs and "://" not in anchor:
                    notes.add(number, f"{draft.spec.name}: the link to #{anchor} matches no heading")
        specs.append(replace(draft.spec, depends_on=tuple(depends_on)))
    return specs


# --- owners --------------------------------------------------------------------------------------


def _check_owners(members: list[MemberSpec], pipelines: list[PipelineSpec]) -> list[PipelineSpec]:
    """Owners must be members, two different people, and agree with what the team section says.

    A team-section claim for a pipeline that has no Secondary Owner field fills it in: the plan says
    who it is, just in one place only.
    """
    by_name = {member.name.casefold(): member.name for member in members}
    checked = []
    for spec in pipelines:
        primary = _member_name(by_name, spec.primary_owner, spec, "primary", spec.primary_owner_line)
        secondary = spec.secondary_owner
        if secondary is not None:
            secondary = _member_name(by_name, secondary, spec, "secondary", spec.secondary_owner_line)
        checked.append(replace(spec, primary_owner=primary, secondary_owner=secondary))
    for spec in checked:
        _check_distinct(spec)

    by_slug = {spec.slug: index for index, spec in enumerate(checked)}
    for member in members:
        for claim in member.claims:
            if claim.pipeline_slug not in by_slug:
                raise PlanError(
                    claim.line,
                    f"{member.name} is listed as {claim.role} owner of #{claim.pipeline_slug}, "
                    "but the runbook has no pipeline with that anchor",
                )
            spec = checked[by_slug[claim.pipeline_slug]]
            owner, owner_line = (
                (spec.primary_owner, spec.primary_owner_line)
                if claim.role == "primary"
                else (spec.secondary_owner, spec.secondary_owner_line)
            )
            if owner is None:
                spec = replace(spec, secondary_owner=member.name, secondary_owner_line=claim.line)
                _check_distinct(spec)
                checked[by_slug[spec.slug]] = spec
            elif owner != member.name:
                field = "its Primary Owner" if claim.role == "primary" else "its Secondary Owner"
                raise PlanError(
                    claim.line,
                    f'the team section says {member.name} is {claim.role} owner of "{spec.name}" here, '
                    f"but line {owner_line} says {field} is {owner}",
                )
    return checked


def _member_name(by_name: dict[str, str], owner: str | None, spec: PipelineSpec, role: str, line: int) -> str:
    """The member's name as the team section spells it."""
    name = by_name.get((owner or "").casefold())
    if name is None:
        raise PlanError(
            line,
            f'{role} owner "{owner}" of "{spec.name}" is not a team member (the team is {", ".join(by_name.values())})',
        )
    return name


def _check_distinct(spec: PipelineSpec) -> None:
    if spec.secondary_owner is not None and spec.secondary_owner == spec.primary_owner:
        raise PlanError(
            spec.secondary_owner_line,
            f"{spec.secondary_owner} is both primary (line {spec.primary_owner_line}) and secondary owner "
            f'of "{spec.name}"; the secondary owner must be someone else',
        )


# --- delay rules ---------------------------------------------------------------------------------

_NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
    "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
}  # fmt: skip
_NUMBER = r"(?:\d+|(?i:one|two|three|four|five|six|seven|eight|nine|ten|an?))"
_PERSON = r"[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*)*"
_ORGANISATION = r"[A-Z][\w&.'’-]*(?:\s+(?:&\s+)?[A-Z][\w&.'’-]*)*"
_NOT_RECEIVED = (
    r"(?i:(?:is|are|has|have|was|were)(?:n['’]t|\s+not)(?:\s+been)?\s+(?:received|delivered)"
    r"|(?:does|do)(?:n['’]t|\s+not)\s+arrive)"
)
_LATE_BY = (
    rf"(?i:by|within)?\s*(?P<days>{_NUMBER})\s+(?i:days?)\s+"
    r"(?i:after|past|beyond)\s+(?i:the\s+)?(?i:expected\s+)?(?i:deadline)"
)
_ORG_WORD = r"(?i:with|from|at|in|of)"
_DELAY_RULES = [
    # "Contact Ray Charley with Sales if sales data isn't received by 2 days after the expected deadline",
    # also the plan's garbled "Contact Ray Charley if with Sales sales data isn't received …".
    re.compile(
        rf"(?i:contact)\s+(?P<name>{_PERSON})\s+"
        rf"(?:{_ORG_WORD}\s+(?P<org>{_ORGANISATION})\s+(?i:if)|(?i:if)\s+{_ORG_WORD}\s+(?P<org2>{_ORGANISATION}))\s+"
        rf"(?P<data>.+?)\s+{_NOT_RECEIVED}\s+{_LATE_BY}"
    ),
    # "If sales data isn't received by 2 days after the expected deadline, contact Ray Charley with Sales"
    re.compile(
        rf"(?i:if)\s+(?P<data>.+?)\s+{_NOT_RECEIVED}\s+{_LATE_BY},?\s+(?i:then\s+)?(?i:contact)\s+"
        rf"(?P<name>{_PERSON})\s+{_ORG_WORD}\s+(?P<org>{_ORGANISATION})"
    ),
]


def _delay_rules(lines: list[tuple[int, str]], pipeline: str, notes: _Notes) -> tuple[DelayRuleSpec, ...]:
    """A pipeline keeps one rule per contact (the database allows no more); later ones are reported."""
    rules: dict[str, DelayRuleSpec] = {}
    for number, raw in lines:
        line = _plain(raw)
        matched = False
        for pattern in _DELAY_RULES:
            for match in pattern.finditer(line):
                matched = True
                rule = _delay_rule(match, number)
                if rule.days_after_deadline < 1:
                    notes.add(number, f"{pipeline}: a delay rule needs at least one day after the deadline")
                    continue
                first = rules.get(rule.contact_name)
                if first is None:
                    rules[rule.contact_name] = rule
                elif (first.organisation, first.days_after_deadline, first.data_description) != (
                    rule.organisation,
                    rule.days_after_deadline,
                    rule.data_description,
                ):
                    notes.add(
                        number,
                        f"{pipeline}: a second delay rule for {rule.contact_name}; "
                        f"the one on line {first.line} is kept",
                    )
        if not matched and re.search(r"\bcontact\b", line, re.I) and re.search(r"\bdeadline\b", line, re.I):
            notes.add(number, f'{pipeline}: looks like a delay rule but could not be read: "{line}"')
    return tuple(rules.values())


def _delay_rule(match: re.Match[str], line: int) -> DelayRuleSpec:
    days = match["days"].lower()
    return DelayRuleSpec(
        contact_name=match["name"],
        organisation=match["org"] or match.groupdict().get("org2") or "",
        days_after_deadline=int(days) if days.isdigit() else _NUMBER_WORDS[days],
        data_description=match["data"].strip(" ,"),
        line=line,
    )


# --- on-call rules -------------------------------------------------------------------------------


def _number(text: str) -> int:
    text = text.lower()
    return int(text) if text.isdigit() else _NUMBER_WORDS[text]


_CLOCK = r"(?:midnight|noon|midday|\d{1,2}(?::\d{2})?(?:\s*[ap]\.?\s?m\.?)?)"


def _clock(text: str) -> time | None:
    """ "midnight", "noon", "09:00", "9 AM", "9:30 p.m." → a time; None when it is not one."""
    text = text.strip().lower()
    if text == "midnight":
        return time(0, 0)
    if text in ("noon", "midday"):
        return time(12, 0)
    match = re.fullmatch(r"(\d{1,2})(?::(\d{2}))?\s*(?:([ap])\.?\s?m\.?)?", text)
    if not match:
        return None
    hour, minute, half = int(match[1]), int(match[2] or 0), match[3]
    if half:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half == "p" else 0)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def _sentences(lines: list[str]) -> list[str]:
    """Sentences of plain text; a blank line or a list item also ends one, full stop or not."""
    text = "\n".join(lines)
    blocks = re.split(r"\n\s*\n|\n(?=\s*(?:[-*+]|\d+[.)])\s)", text)
    return [s for block in blocks for s in re.split(r"(?<=[.!?])\s+", _plain(block)) if s.strip()]


def _parse_oncall(doc: _Document, span: _Span | None, sla: _Span | None, notes: _Notes) -> OnCallRules:
    """Shift length, start, rotation and holiday window, each read from the sentence that states it."""
    defaults = OnCallRules()
    if span is None:
        notes.add(0, "no on-call section; the default on-call rules are used")
        return defaults
    numbers = [n for n in range(span.start, span.end) if not (sla and sla.heading and sla.heading.line <= n < sla.end)]
    where = span.heading.line if span.heading else span.start

    shift_hours = start = rotation = window = None
    for sentence in _sentences([doc.line(n) for n in numbers]):
        about_shifts = re.search(r"\b(?:on[\s-]?call|shifts?|schedule)\b", sentence, re.I)
        if (
            shift_hours is None
            and about_shifts
            and (found := re.search(rf"\b({_NUMBER})[\s-]*hours?\b", sentence, re.I))
        ):
            shift_hours = _number(found[1])
        if start is None and (
            found := re.search(rf"\b(?:start(?:s|ing)?|begin(?:s|ning)?)\s+at\s+({_CLOCK})", sentence, re.I)
        ):
            start = _clock(found[1])
        if rotation is None and re.search(r"\brotat", sentence, re.I):
            if found := re.search(rf"\bevery\s+({_NUMBER}\s+)?(days?|weeks?)\b", sentence, re.I):
                count = _number(found[1].strip()) if found[1] else 1
                rotation = count * (7 if found[2].lower().startswith("week") else 1)
            elif re.search(r"\bweekly\b", sentence, re.I):
                rotation = 7
        holiday = re.search(r"\bholiday", sentence, re.I)
        if window is None and holiday and (found := re.search(rf"\bevery\s+({_NUMBER})\s+years?\b", sentence, re.I)):
            window = _number(found[1])

    figures = {
        "shift_hours": (shift_hours, "the length of an on-call shift"),
        "shift_start": (start, "when an on-call shift starts"),
        "rotation_days": (rotation, "how often on-call rotates"),
        "holiday_window_years": (window, "how often the same holiday may fall to the same person"),
    }
    values = {}
    for key, (value, what) in figures.items():
        if value is None:
            notes.add(where, f"the on-call section does not say {what}; the default {getattr(defaults, key)} is used")
        else:
            values[key] = value
    return OnCallRules(**values)


# --- SLA -----------------------------------------------------------------------------------------

_DECIMAL = r"\d+(?:\.\d+)?"
# Case-sensitive even inside re.I patterns, so that "by 8 AM each day" has no time zone "each".
_TIMEZONE = r"(?P<tz>(?-i:UTC(?:[+-]\d{1,2}(?::?\d{2})?)?|[A-Z]{2,5}|[A-Z][A-Za-z_]+/[A-Z][A-Za-z_]+))"


def _parse_sla(doc: _Document, span: _Span | None, notes: _Notes) -> SlaFigures:
    """Each SLA figure is read from the phrase that states it; a figure the text lacks keeps its default."""
    defaults = SlaFigures()
    if span is None:
        notes.add(0, "no SLA section; the default SLA figures are used")
        return defaults
    text = _plain(" ".join(doc.line(n) for n in range(span.start, span.end)))
    where = span.heading.line if span.heading else span.start
    values: dict[str, object] = {}

    def missing(key: str, what: str) -> None:
        notes.add(where, f"the SLA section does not state {what}; the default {getattr(defaults, key)} is used")

    if found := re.search(rf"({_DECIMAL})\s*%\s*of\s+(?:all\s+)?(?:the\s+)?scheduled\s+runs", text, re.I):
        values["availability_pct"] = Decimal(found[1])
    else:
        missing("availability_pct", 'the availability ("N% of scheduled runs")')

    # A bare number after "by" ("by 2 days") is not a time of day.
    deadline = next(
        (
            found
            for found in re.finditer(rf"\bby\s+(?P<clock>{_CLOCK})(?:\s+{_TIMEZONE}\b)?", text, re.I)
            if _clock(found["clock"]) and (":" in found["clock"] or re.search(r"[a-z]", found["clock"], re.I))
        ),
        None,
    )
    clock = _clock(deadline["clock"]) if deadline else None
    if deadline and clock:
        values["deadline"] = clock
        if deadline["tz"]:
            values["deadline_timezone"] = deadline["tz"]
        else:
            missing("deadline_timezone", "the deadline's time zone")
    else:
        missing("deadline", 'the daily deadline ("by 8:00 AM UTC")')
        missing("deadline_timezone", "the deadline's time zone")

    if found := re.search(
        rf"\bdelays?\s+(?:greater|longer|more)\s+than\s+({_DECIMAL}|{_NUMBER})\s*(hours?|hrs?|h|minutes?|mins?)\b",
        text,
        re.I,
    ):
        amount = Decimal(found[1]) if found[1][0].isdigit() else Decimal(_number(found[1]))
        unit = "minutes" if found[2].lower().startswith("m") else "hours"
        values["delay_threshold"] = timedelta(**{unit: float(amount)})
    else:
        missing("delay_threshold", 'the delay to report ("delays greater than 1 hour")')

    if found := re.search(rf"({_DECIMAL})\s*%\s*of\s+(?:the\s+)?records", text, re.I):
        values["bad_records_pct"] = Decimal(found[1])
    else:
        missing("bad_records_pct", 'the share of records that may fail ("0.1% of records")')

    if found := re.search(
        r"\bcritical\s+fields\s*(?:\(\s*(?:e\.g\.|i\.e\.|such\s+as|like)?,?\s*(?P<listed>[^)]*)\)|:\s*(?P<after>[^.]*))",
        text,
        re.I,
    ):
        names = re.split(r",|\band\b|\bor\b", found["listed"] or found["after"] or "")
        fields = tuple(n for n in (name.strip(" `'\"") for name in names) if n and n.lower() not in ("etc", "etc."))
        if fields:
            values["critical_fields"] = fields
        else:
            missing("critical_fields", "the critical fields")
    else:
        missing("critical_fields", 'the critical fields ("critical fields (e.g., a, b)")')

    if found := re.search(rf"\backnowledged\s+within\s+({_NUMBER})\s*(minutes?|mins?|hours?|hrs?)\b", text, re.I):
        minutes = _number(found[1])
        values["acknowledge_minutes"] = minutes * 60 if found[2].lower().startswith("h") else minutes
    else:
        missing("acknowledge_minutes", 'the time to acknowledge ("acknowledged within 15 minutes")')

    if found := re.search(
        rf"\b(?:resolution|resolved|workaround)\b[^.]*?\bwithin\s+({_NUMBER})\s*(hours?|hrs?|days?)\b", text, re.I
    ):
        hours = _number(found[1])
        values["resolution_hours"] = hours * 24 if found[2].lower().startswith("d") else hours
    else:
        missing("resolution_hours", 'the time to resolve ("within 3 hours of incident detection")')

    return SlaFigures(**values)
