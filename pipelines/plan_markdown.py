"""The plan's Markdown as markdown-it-py reads it (CommonMark), with the few readings people expect.

`parse_blocks` gives the document's top-level blocks with 1-based line numbers. `person_items`
nests list items as a person reads them: an item's details are the items below it that start
further to the right, up to the next item at its level, even where CommonMark would start a new
list because the details are indented less than the parent's text. `to_markdown` writes blocks
back as canonical Markdown (`-` bullets, two-space nesting), which is what the portal stores.
"""

import re
from dataclasses import dataclass, field

from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode

MARKDOWN = MarkdownIt("commonmark").enable("table")
LIST_TYPES = ("bullet_list", "ordered_list")


def parse_blocks(text: str) -> tuple[list[SyntaxTreeNode], list[str]]:
    """The top-level block nodes of `text` and its lines (CRLF, a BOM and tabs read as CommonMark does)."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    return SyntaxTreeNode(MARKDOWN.parse(text)).children, text.split("\n")


def line_of(node: SyntaxTreeNode) -> int:
    """The node's first line, 1-based."""
    return node.map[0] + 1 if node.map else 0


def inline_of(node: SyntaxTreeNode) -> SyntaxTreeNode | None:
    """The inline content of a paragraph or heading (None for other blocks)."""
    if node.type in ("paragraph", "heading") and node.children:
        return node.children[0]
    return None


def plain_text(inline: SyntaxTreeNode | None) -> str:
    """What a reader sees: no emphasis markers, links reduced to their text, single spaces."""
    if inline is None:
        return ""
    parts: list[str] = []

    def walk(node: SyntaxTreeNode) -> None:
        if node.type in ("text", "code_inline", "html_inline"):
            parts.append(node.content)
        elif node.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        for child in node.children:
            walk(child)

    walk(inline)
    return " ".join("".join(parts).split())


def links(inline: SyntaxTreeNode | None, first_line: int) -> list[tuple[int, str]]:
    """(line, href) of each link in an inline node whose first line is `first_line`."""
    found: list[tuple[int, str]] = []
    line = first_line

    def walk(node: SyntaxTreeNode) -> None:
        nonlocal line
        if node.type in ("softbreak", "hardbreak"):
            line += 1
        if node.type == "link":
            found.append((line, str(node.attrs.get("href", ""))))
        for child in node.children:
            walk(child)

    if inline is not None:
        walk(inline)
    return found


def inline_source(inline: SyntaxTreeNode | None) -> str:
    """The inline Markdown as written, each line trimmed (trailing spaces only ever made a line break)."""
    if inline is None:
        return ""
    return "\n".join(line.strip() for line in inline.content.split("\n")).strip()


def units(blocks: list[SyntaxTreeNode]) -> list[tuple[int, str]]:
    """(line, plain text) of every paragraph, heading and table cell text under `blocks`, in order."""
    units = []

    def walk(node: SyntaxTreeNode) -> None:
        if node.type in ("paragraph", "heading"):
            units.append((line_of(node), plain_text(inline_of(node))))
            return
        for child in node.children:
            walk(child)

    for block in blocks:
        walk(block)
    return units


# --- labelled paragraphs ---------------------------------------------------------------------------

_LABEL = re.compile(
    r"^(?P<open>\*\*|__|\*|_)?\s*(?P<label>[A-Za-z][A-Za-z &/-]*?)\s*"
    r"(?::\s*(?P=open)|(?P=open)\s*:|:|(?P=open)\s*$)[ \t]*"
)


@dataclass(frozen=True)
class Label:
    name: str  # lower case, single spaces
    rest_source: str  # the Markdown after the label
    rest: str  # its plain text
    line: int


def field_label(block: SyntaxTreeNode) -> Label | None:
    """ "**Primary Owner:** Miles", "**Primary Owner**: Miles", "primary owner: Miles" → a label and its value."""
    if block.type != "paragraph":
        return None
    source = inline_source(inline_of(block))
    match = _LABEL.match(source)
    if not match:
        return None
    name = " ".join(match["label"].lower().split())
    plain = plain_text(inline_of(block))
    rest = re.sub(rf"^\s*{re.escape(match['label'])}\s*:?\s*", "", plain, flags=re.IGNORECASE)
    return Label(name, source[match.end() :].strip(), rest.strip(), line_of(block))


# --- list items as people read them ---------------------------------------------------------------


@dataclass
class Item:
    """A list item: its own blocks (first paragraph first) and the items nested under it."""

    line: int
    column: int
    ordered: bool
    node: SyntaxTreeNode
    blocks: list[SyntaxTreeNode] = field(default_factory=list)
    children: list["Item"] = field(default_factory=list)

    @property
    def inline(self) -> SyntaxTreeNode | None:
        return inline_of(self.blocks[0]) if self.blocks else None

    @property
    def text(self) -> str:
        return plain_text(self.inline)


def _column(lines: list[str], line: int) -> int:
    source = lines[line - 1].expandtabs(4) if 0 < line <= len(lines) else ""
    return len(source) - len(source.lstrip())


def person_items(blocks: list[SyntaxTreeNode], lines: list[str]) -> list["Item | SyntaxTreeNode"]:
    """Blocks with their lists turned into `Item` trees, a list nested under the item it starts right of.

    CommonMark nests an item only when it starts at its parent's text column; a person nests it as
    soon as it starts right of its parent's marker. Every nesting CommonMark makes is kept.
    """
    out: list[Item | SyntaxTreeNode] = []
    stack: list[Item] = []

    def add_list(node: SyntaxTreeNode, floor: int) -> None:
        # The items of one CommonMark list are siblings; only a new list may nest under an open item.
        column = max(_column(lines, line_of(node)), floor)
        while stack and column <= stack[-1].column:
            stack.pop()
        depth = len(stack)
        for item_node in node.children:
            del stack[depth:]
            line = line_of(item_node)
            item = Item(line, max(_column(lines, line), floor), node.type == "ordered_list", item_node)
            (stack[-1].children if stack else out).append(item)
            stack.append(item)
            for child in item_node.children:
                if child.type in LIST_TYPES:
                    # A sub-list on its parent's own line ("- - x") still sits right of the parent.
                    add_list(child, column + 1)
                    del stack[stack.index(item) + 1 :]
                else:
                    item.blocks.append(child)

    for block in blocks:
        if block.type in LIST_TYPES:
            add_list(block, 0)
        else:
            stack.clear()
            out.append(block)
    return out


def walk_items(items: list[Item]):
    """Each item and its descendants, depth first, with its depth."""

    def walk(level: list[Item], depth: int):
        for item in level:
            yield item, depth
            yield from walk(item.children, depth + 1)

    yield from walk(items, 0)


# --- back to Markdown -----------------------------------------------------------------------------


def _indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line if line else line for line in text.split("\n"))


def _block_markdown(node: SyntaxTreeNode, lines: list[str]) -> str:
    if node.type == "paragraph":
        return inline_source(inline_of(node))
    if node.type == "heading":
        return (
            f"{node.markup if node.markup.startswith('#') else '#' * int(node.tag[1])} {inline_source(inline_of(node))}"
        )
    if node.type == "fence":
        fence = node.markup or "```"
        return f"{fence}{node.info}\n{node.content}{fence}"
    if node.type == "code_block":
        return _indent(node.content.rstrip("\n"), "    ")
    if node.type == "hr":
        return "---"
    if node.type == "blockquote":
        return _indent(to_markdown(node.children, lines), "> ").replace("\n\n", "\n>\n")
    # Tables and raw HTML: their lines as written, without the indentation of where they sat.
    start, end = node.map
    source = [line.expandtabs(4).rstrip() for line in lines[start:end]]
    while source and not source[-1]:
        source.pop()
    cut = min((len(line) - len(line.lstrip()) for line in source if line), default=0)
    return "\n".join(line[cut:] for line in source)


def item_markdown(item: Item, lines: list[str]) -> str:
    """An item's own text and its nested items, without its marker (nested lists two spaces in)."""
    parts = [_block_markdown(block, lines) for block in item.blocks]
    text = "\n\n".join(part for part in parts if part)
    if item.children:
        nested = _items_markdown(item.children, lines)
        text = f"{text}\n{nested}" if text else nested
    return text


def _items_markdown(items: list[Item], lines: list[str]) -> str:
    out = []
    number = 0
    for item in items:
        number = number + 1 if item.ordered else 0
        marker = f"{number}." if item.ordered else "-"
        body = item_markdown(item, lines)
        first, _, rest = body.partition("\n")
        text = f"{marker} {first}".rstrip()
        if rest:
            text += "\n" + _indent(rest, " " * (len(marker) + 1))
        out.append(text)
    return "\n".join(out)


def to_markdown(blocks: list[SyntaxTreeNode], lines: list[str]) -> str:
    """Canonical Markdown of `blocks`: the same document whatever bullets, numbering and indents it was written with."""
    parts: list[str] = []
    run: list[Item] = []
    for entry in person_items(blocks, lines):
        if isinstance(entry, Item):
            if run and run[-1].ordered != entry.ordered:
                parts.append(_items_markdown(run, lines))
                run = []
            run.append(entry)
            continue
        if run:
            parts.append(_items_markdown(run, lines))
            run = []
        parts.append(_block_markdown(entry, lines))
    if run:
        parts.append(_items_markdown(run, lines))
    return re.sub(r"\n{3,}", "\n\n", "\n\n".join(part for part in parts if part)).strip("\n")
