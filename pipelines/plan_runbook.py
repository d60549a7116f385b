"""The plan's runbook: one section per pipeline, read field by field."""

import re
from dataclasses import dataclass, field, replace

from markdown_it.tree import SyntaxTreeNode

from . import plan_rules
from .plan import CommonIssue, PipelineSpec, PlanError
from .plan_markdown import (
    Item,
    Label,
    field_label,
    inline_of,
    item_markdown,
    line_of,
    links,
    parse_blocks,
    person_items,
    plain_text,
    to_markdown,
    units,
    walk_items,
)
from .schedules import schedule_problem


def slugify_heading(heading: str) -> str:
    """GitHub's heading anchor: lower case, punctuation other than `-` and `_` dropped, each space a hyphen."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip()).lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


_FIELDS = {
    "description": "description",
    "primary owner": "primary",
    "primary owners": "primary",  # still one name: two are refused as "not a team member"
    "secondary owner": "secondary",
    "secondary owners": "secondary",
    "common issues": "issues",
    "common issue": "issues",
    "known issues": "issues",
    "standard procedures": "procedures",
    "standard procedure": "procedures",
    "procedures": "procedures",
    "critical downstream team": "downstream",
    "critical downstream teams": "downstream",
    "downstream team": "downstream",
    "schedule": "schedule",
    "critical fields": "critical_fields",
    "column aliases": "aliases",
    "depends on": "depends",
    "delay rules": "delays",
}
_TEXT_KINDS = {"description", "issues", "procedures"}
_KNOWN_ISSUE = re.compile(
    r"^(?:\*\*|\*|_)\s*known\s+issues?\s*(?::\s*(?:\*\*|\*|_)|(?:\*\*|\*|_)\s*:)\s*", re.IGNORECASE
)
_ALIAS_PROCEDURE = re.compile(r"\baliases\b|\balias\b", re.IGNORECASE)
_COLUMN_NAME = re.compile(r"^`?(?P<name>[A-Za-z_][\w.]*)`?$")
_NOTHING = {"", "none", "n/a", "na", "-", "—"}


@dataclass
class _Field:
    line: int
    rest: Label | None = None  # the value on the label's own line
    blocks: list[SyntaxTreeNode] = field(default_factory=list)


@dataclass
class PipelineDraft:
    spec: PipelineSpec
    links: list[tuple[int, str]]  # (line, href) in its description, issues and procedures


def read_pipeline(
    heading: SyntaxTreeNode, blocks: list[SyntaxTreeNode], lines: list[str], notes: list
) -> PipelineDraft:
    """One pipeline's section: its fields by label, its text as canonical Markdown, its delay rules."""
    name = plain_text(inline_of(heading))
    if not name:
        raise PlanError(line_of(heading), "a pipeline heading has no name")
    fields: dict[str, _Field] = {"description": _Field(line_of(heading))}
    current = "description"
    for block in blocks:
        label = field_label(block)
        kind = _FIELDS.get(label.name) if label else None
        if label and kind is None and (not label.rest or current not in _TEXT_KINDS):
            notes.append((label.line, f'field "{label.name}" of {name} is not part of the plan format; skipped'))
            current = "skipped"
        elif kind:
            if kind in fields and kind != "description":
                raise PlanError(
                    label.line, f'{name} has a second "{label.name}" field (the first is on line {fields[kind].line})'
                )
            fields[kind] = _Field(label.line, label if label.rest else None)
            current = kind
        elif current != "skipped":
            fields[current].blocks.append(block)  # a bold lead-in such as "**Note:**" stays part of the text

    def single(kind: str, what: str) -> tuple[str | None, int]:
        return _single_value(fields.get(kind), name, what)

    primary, primary_line = single("primary", "Primary Owner")
    secondary, secondary_line = single("secondary", "Secondary Owner")
    if primary is None:
        where = f' (its "Primary Owner" field on line {fields["primary"].line} is empty)' if "primary" in fields else ""
        raise PlanError(line_of(heading), f'pipeline "{name}" has no primary owner{where}')
    downstream, downstream_line = single("downstream", "Critical Downstream Team")
    if downstream:
        downstream = _team_name(downstream, downstream_line, name)
    procedures = _text(fields.get("procedures"), lines)
    # A "Delay Rules" field states them all; otherwise they are read from the runbook's sentences.
    rule_kinds = ("delays",) if "delays" in fields else ("description", "issues", "procedures")
    units = [u for kind in rule_kinds for u in _field_units(fields.get(kind))]
    spec = PipelineSpec(
        name=name,
        slug=slugify_heading(name),
        line=line_of(heading),
        description=_text(fields["description"], lines),
        common_issues=_common_issues(fields.get("issues"), lines),
        standard_procedures=procedures,
        column_aliases=_column_aliases(fields, lines, name, notes),
        primary_owner=primary,
        primary_owner_line=primary_line,
        secondary_owner=secondary,
        secondary_owner_line=secondary_line,
        downstream_team=downstream,
        delay_rules=plan_rules.delay_rules(sorted(units), name),
        schedule=_schedule(single("schedule", "Schedule"), name),
        critical_fields=_names(*single("critical_fields", "Critical Fields"), name)
        if "critical_fields" in fields
        else None,
    )
    found = [
        link for kind in ("description", "issues", "procedures", "depends") for link in _field_links(fields.get(kind))
    ]
    return PipelineDraft(spec, sorted(found, key=lambda link: link[0]))


def _single_value(f: _Field | None, pipeline: str, what: str) -> tuple[str | None, int]:
    """A one-value field's value (on the label's line or as the one paragraph or item below it)."""
    if f is None:
        return None, 0
    values = [(f.rest.line, f.rest.rest)] if f.rest else []
    for block in f.blocks:
        if block.type == "paragraph":
            values.append((line_of(block), plain_text(inline_of(block))))
        elif block.type in ("bullet_list", "ordered_list"):
            values.extend(
                (line_of(item), plain_text(inline_of(item.children[0]))) for item in block.children if item.children
            )
        else:
            values.append((line_of(block), block.type))
    if len(values) > 1:
        raise PlanError(values[1][0], f'{pipeline}: "{what}" takes one value; "{values[1][1]}" is a second one')
    if not values:
        return None, 0
    line, value = values[0]
    value = value.strip().removesuffix(".").strip()
    return (None, 0) if value.lower() in _NOTHING else (value, line)


def _team_name(value: str, line: int, pipeline: str) -> str:
    """ "Profit team" → "Profit"; a pipeline has one critical downstream team."""
    if re.search(r",|;|/|\band\b|\bor\b", value, re.IGNORECASE):
        raise PlanError(line, f'{pipeline}: the critical downstream team is one team; "{value}" names several')
    return re.sub(r"\s+teams?$", "", value, flags=re.IGNORECASE).strip() or value


def _schedule(value: tuple[str | None, int], pipeline: str) -> str | None:
    text, line = value
    if text is None:
        return None
    text = text.strip("` ")
    problem = schedule_problem(text)
    if problem is not None:
        message = f'{pipeline}: the schedule "{text}" is not a cron expression the portal can follow. {problem}'
        raise PlanError(line, message)
    return text


def _names(text: str | None, line: int, pipeline: str) -> tuple[str, ...]:
    names = tuple(n.strip(" `") for n in (text or "").split(",") if n.strip(" `"))
    bad = [n for n in names if not _COLUMN_NAME.match(n)]
    if bad:
        raise PlanError(line, f'{pipeline}: "{bad[0]}" is not a column name (list them separated by commas)')
    return names


def _text(f: _Field | None, lines: list[str]) -> str:
    if f is None:
        return ""
    parts = [f.rest.rest_source] if f.rest else []
    parts.append(to_markdown(f.blocks, lines))
    return "\n\n".join(part for part in parts if part)


def _field_units(f: _Field | None) -> list[tuple[int, str]]:
    if f is None:
        return []
    return ([(f.rest.line, f.rest.rest)] if f.rest else []) + units(f.blocks)


def _field_links(f: _Field | None) -> list[tuple[int, str]]:
    if f is None:
        return []
    found = []

    def walk(node: SyntaxTreeNode) -> None:
        if node.type in ("paragraph", "heading"):
            found.extend(links(inline_of(node), line_of(node)))
        for child in node.children:
            walk(child)

    for block in f.blocks:
        walk(block)
    if f.rest:
        found.extend((f.rest.line, href) for href in re.findall(r"\]\(([^)\s]+)\)", f.rest.rest_source))
    return found


def _common_issues(f: _Field | None, lines: list[str]) -> tuple[CommonIssue, ...]:
    """One issue per list item (its nested lines stay with it) or paragraph."""
    if f is None:
        return ()
    texts = [f.rest.rest_source] if f.rest else []
    for entry in person_items(f.blocks, lines):
        texts.append(item_markdown(entry, lines) if isinstance(entry, Item) else to_markdown([entry], lines))
    issues = []
    for text in texts:
        marker = _KNOWN_ISSUE.match(text)
        text = text[marker.end() :].strip() if marker else text.strip()
        if text.lower() not in _NOTHING:
            issues.append(CommonIssue(text=text, known_issue=bool(marker)))
    return tuple(issues)


def _column_aliases(fields: dict[str, _Field], lines: list[str], pipeline: str, notes: list) -> tuple[str, ...]:
    """A "Column Aliases" field, or else the items nested under a procedure about giving columns their aliases."""
    if "aliases" in fields:
        return _names(*_single_value(fields["aliases"], pipeline, "Column Aliases"), pipeline)
    procedures = fields.get("procedures")
    return _procedure_aliases(procedures.blocks, lines, pipeline, notes) if procedures else ()


def _procedure_aliases(blocks: list[SyntaxTreeNode], lines: list[str], pipeline: str, notes: list) -> tuple[str, ...]:
    aliases: list[str] = []
    for item, _depth in walk_items([e for e in person_items(blocks, lines) if isinstance(e, Item)]):
        if not _ALIAS_PROCEDURE.search(item.text) or not item.children:
            continue
        for child in item.children:
            name = _COLUMN_NAME.match(child.text)
            if name is None:
                notes.append((child.line, f'{pipeline}: "{child.text}" is not a column name; not an alias'))
            elif name["name"] not in aliases:
                aliases.append(name["name"])
    return tuple(aliases)


def procedure_aliases(markdown: str) -> tuple[str, ...]:
    """The column aliases that standard procedures written as `markdown` list."""
    return _procedure_aliases(*parse_blocks(markdown), "", [])


def links_in_markdown(markdown: str) -> list[str]:
    """The target of every link in `markdown`."""
    return [href for _line, href in _field_links(_Field(0, blocks=parse_blocks(markdown)[0]))]


def resolve_links(headings: list[str], drafts: list[PipelineDraft], notes: list) -> list[PipelineSpec]:
    """Dependencies are links to other pipelines' anchors, in order of first appearance.

    `#https://…` links are a known slip of the plan that the renderer repairs, so they are let be;
    other anchors that match no heading are probably typos and are reported.
    """
    pipeline_slugs = {draft.spec.slug for draft in drafts}
    heading_slugs = {slugify_heading(text) for text in headings}
    specs = []
    for draft in drafts:
        depends_on: list[str] = []
        for line, href in draft.links:
            if not href.startswith("#"):
                continue
            anchor = href[1:].lower()
            if anchor in pipeline_slugs:
                if anchor != draft.spec.slug and anchor not in depends_on:
                    depends_on.append(anchor)
            elif anchor not in heading_slugs and "://" not in anchor:
                notes.append((line, f"{draft.spec.name}: the link to #{anchor} matches no heading"))
        specs.append(replace(draft.spec, depends_on=tuple(depends_on)))
    return specs
