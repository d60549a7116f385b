"""Runbook Markdown to safe HTML, with the plan's `#anchor` links turned into links to portal pages.

The same CommonMark engine (markdown-it-py) reads the plan on import, so a runbook shows the lists and
nesting its import saw.
"""

from collections.abc import Callable

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = {
    "a", "p", "br", "ul", "ol", "li", "strong", "em", "code", "pre", "blockquote",
    "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td", "hr",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}
URL_SCHEMES = {"http", "https", "mailto"}
# Raw HTML and every link target pass the parser; nh3 then sanitises them all in one place (a link
# with a scheme it does not allow keeps its text and loses its href).
MARKDOWN = MarkdownIt("commonmark", {"html": True}).enable("table")
MARKDOWN.validateLink = lambda url: True


def link_target(href: str, anchor_url: Callable[[str], str | None]) -> str:
    """Where a runbook link should point.

    `#slug` links to a pipeline's own runbook page when `anchor_url` knows the slug; the plan's
    malformed `#https://…` links lose their stray `#`; everything else is left alone.
    """
    if not href.startswith("#"):
        return href
    anchor = href[1:]
    if anchor.startswith(("http://", "https://")):
        return anchor
    return anchor_url(anchor) or href


def render_markdown(text: str, anchor_url: Callable[[str], str | None] = lambda slug: None) -> str:
    """Markdown → HTML that can carry no script: the output is sanitised to a small set of tags and URL schemes."""

    def keep_attribute(tag: str, attribute: str, value: str) -> str | None:
        if tag == "a" and attribute == "href":
            return link_target(value, anchor_url)
        return value

    html = MARKDOWN.render(text).strip()
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        attribute_filter=keep_attribute,
        link_rel="noopener noreferrer",
    )


def render_markdown_inline(text: str, anchor_url: Callable[[str], str | None] = lambda slug: None) -> str:
    """Like `render_markdown`, without the paragraph around a one-paragraph text (for list items)."""
    html = render_markdown(text, anchor_url)
    if html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
        return html[3:-4]
    return html
