"""The plan's team section: members, their area and expertise, the leader flag and ownership claims."""

import re

from markdown_it.tree import SyntaxTreeNode

from .plan import MemberSpec, OwnershipClaim, PlanError
from .plan_markdown import Item, line_of, links, person_items, plain_text

_NAME = re.compile(r"^[^\W\d_](?:[\w'’.-]|\s(?=\S))*$")
_DASH = re.compile(r"\s+[-–—]\s+")
_DETAIL = re.compile(r"^(?P<label>[A-Za-z][A-Za-z ]*?)\s*(?::|\s[-–—](?=\s))\s*(?P<rest>.*)$")
_CLAIM = re.compile(r"^(?P<role>primary|secondary)\s+owner\s+(?:of|for)\b", re.IGNORECASE)
_LEADER = re.compile(r"^team\s+lead(?:er)?$", re.IGNORECASE)
_MENTIONS_LEADER = re.compile(r"\bteam\s+lead", re.IGNORECASE)
_RESPONSIBILITIES = {"pipeline responsibilities", "responsibilities", "pipelines", "ownership"}


def read_team(blocks: list[SyntaxTreeNode], lines: list[str], label_line: int, notes: list) -> list[MemberSpec]:
    """Members are the outermost list items, their details the items nested under them (as a person nests them)."""
    members: list[MemberSpec] = []
    seen: dict[str, int] = {}
    for entry in person_items(blocks, lines):
        if not isinstance(entry, Item):
            notes.append((line_of(entry), "text in the team section that is not part of a member's entry; skipped"))
            continue
        member = _member(entry, notes)
        key = member.name.casefold()
        if key in seen:
            raise PlanError(
                member.line, f"{member.name} is listed twice in the team section (also on line {seen[key]})"
            )
        seen[key] = member.line
        members.append(member)
    if not members:
        raise PlanError(label_line, "the team section lists no members")
    return members


def _member(item: Item, notes: list) -> MemberSpec:
    name, *heading_parts = _DASH.split(item.text)
    name = name.strip(" *_")
    if not _NAME.match(name):
        raise PlanError(
            item.line,
            f'"{item.text}" is listed as a team member, but "{name}" is not a name: each member is a list item '
            '"<Name>" or "<Name> - <Area>", with their details in a list below it',
        )
    for extra in item.blocks[1:]:
        notes.append((line_of(extra), f"text under {name} that is not a list item; skipped"))
    details: dict[str, tuple[str, int]] = {}
    claims: list[OwnershipClaim] = []
    leader_lines: list[int] = []
    for child in item.children:
        text = child.text
        if _CLAIM.match(text):
            claims.extend(_claims(child, name))
            continue
        if _LEADER.match(text.rstrip(".")):
            leader_lines.append(child.line)
            continue
        detail = _DETAIL.match(text)
        label = " ".join(detail["label"].lower().split()) if detail else ""
        if label in _RESPONSIBILITIES:
            if detail["rest"]:
                claims.extend(_claims(child, name))
            for grandchild in child.children:
                claims.extend(_claims(grandchild, name))
        elif label in ("expertise", "area", "role"):
            if label in details:
                raise PlanError(
                    child.line, f'{name} has a second "{detail["label"]}" (the first is on line {details[label][1]})'
                )
            details[label] = (detail["rest"].strip(), child.line)
        elif _MENTIONS_LEADER.search(text):
            raise PlanError(child.line, _leader_unclear(name, text))
        else:
            notes.append((child.line, f'detail of {name} not part of the plan format; skipped: "{text}"'))
    expertise, expertise_line = details.get("expertise", ("", item.line))
    if "expertise" not in details:
        notes.append((item.line, f'{name} has no "Expertise:" line'))
    role, role_line = details.get("role", ("", item.line))
    is_leader = bool(leader_lines)
    area_parts = []
    for part in heading_parts:
        if _LEADER.match(part.strip(" .*_")):
            is_leader = True
        elif _MENTIONS_LEADER.search(part):
            raise PlanError(item.line, _leader_unclear(name, item.text))
        else:
            area_parts.append(part)
    for text, line in ((expertise, expertise_line), (role, role_line)):
        parts = _DASH.split(text) if text else []
        if any(_LEADER.match(part.strip(" .*_")) for part in parts):
            is_leader = True
        elif _MENTIONS_LEADER.search(text):
            raise PlanError(line, _leader_unclear(name, text))
    if role and not _LEADER.match(role.strip(" .*_")):
        notes.append((role_line, f'role of {name} not part of the plan format; skipped: "{role}"'))
    first_expertise = _DASH.split(expertise)[0] if expertise else ""
    area = " - ".join(area_parts) or details.get("area", ("", 0))[0]
    if not area and not _LEADER.match(first_expertise.strip(" .")):
        area = first_expertise
    return MemberSpec(
        name=name, area=area, expertise=expertise, is_manager=is_leader, claims=tuple(claims), line=item.line
    )


def _leader_unclear(name: str, text: str) -> str:
    return (
        f'"{text}" mentions a team lead, but not as its own part: write "Team leader" after a dash '
        f"(or as a detail of its own) if {name} leads the team, or rephrase"
    )


def _claims(item: Item, name: str) -> list[OwnershipClaim]:
    """ "Primary owner of the [A](#a) and [B](#b)." → a claim per linked pipeline.

    Every pipeline must be a link: one named in plain words beside linked ones would be dropped unseen.
    """
    text = _DETAIL.sub(lambda m: m["rest"], item.text) if not _CLAIM.match(item.text) else item.text
    role = _CLAIM.match(text)
    anchors = [href[1:].lower() for _line, href in links(item.inline, item.line) if href.startswith("#")]
    rest = text[role.end() :] if role else text
    for label in _link_texts(item.inline):
        rest = rest.replace(label, " ", 1)
    if not role or not anchors or re.sub(r"\b(?:the|and|pipelines?)\b|[\s,.;&]", "", rest, flags=re.IGNORECASE):
        raise PlanError(
            item.line,
            f'responsibility of {name} could not be read: "{item.text}" (write "Primary owner of the '
            '[Pipeline name](#pipeline-anchor)" or "Secondary owner of …", linking each pipeline)',
        )
    return [OwnershipClaim(role=role["role"].lower(), pipeline_slug=anchor, line=item.line) for anchor in anchors]


def _link_texts(inline) -> list[str]:
    found = []

    def walk(node) -> None:
        if node.type == "link":
            found.append(plain_text(node))
            return
        for child in node.children:
            walk(child)

    if inline is not None:
        walk(inline)
    return found
