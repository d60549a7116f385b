"""A page as each kind of chat channel wants it: plain functions over a `ChatPage`, no database.

Titles, bodies and names come from alerts and people, so they are shown as text: escaped for Slack's
mrkdwn, without links of their own in Adaptive Cards, and cut to Slack's limits (Slack refuses a whole
message over one).
"""

from dataclasses import asdict, dataclass

# Slack's limits: a section's or a context element's text, a button's label, the notification text.
SLACK_TEXT_LIMIT = 3000
SLACK_BUTTON_LIMIT = 75
SLACK_FALLBACK_LIMIT = 4000
# A title is a subject line: capping it keeps most of the section for the body.
SLACK_TITLE_LIMIT = 1000
ELLIPSIS = "…"
# Between "]" and "(" of a markdown link: invisible, and the link is no longer one.
ZERO_WIDTH_SPACE = "\u200b"


@dataclass(frozen=True)
class ChatPage:
    """What a page says, whatever the channel."""

    event: str
    title: str
    text: str
    url: str
    pipeline: str = ""
    incident_id: int | None = None
    severity: str = ""
    status: str = ""
    assignee: str = ""
    acknowledge_url: str = ""


def slack_escaped(value: str) -> str:
    """`value` shown as itself in Slack mrkdwn: `&`, `<` and `>` are its control characters (`<!channel>`)."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_text(value: str, limit: int) -> str:
    """`value` escaped and at most `limit` characters: a cut ends in "…" and never splits an escape ("&am")."""
    text = slack_escaped(value)
    if len(text) <= limit:
        return text
    text = text[: limit - len(ELLIPSIS)]
    escape = text.rfind("&")
    if escape != -1 and ";" not in text[escape:]:
        text = text[:escape]
    return text + ELLIPSIS


def slack_link(url: str, label: str) -> str:
    """A mrkdwn link to `url` reading `label` (mrkdwn already); the first `|` ends the URL, so one in it is encoded."""
    return f"<{slack_escaped(url).replace('|', '%7C')}|{label}>"


def acknowledge_label(assignee: str) -> str:
    """ "Acknowledge as Jane Doe", or only "Acknowledge" when the name would not fit on a Slack button."""
    label = f"Acknowledge as {assignee}"
    return label if assignee and len(label) <= SLACK_BUTTON_LIMIT else "Acknowledge"


def slack_payload(page: ChatPage) -> dict:
    """A Slack incoming-webhook message (Mattermost takes the same): `text` for notifications, blocks to read."""
    buttons = [{"type": "button", "text": {"type": "plain_text", "text": "Open"}, "url": page.url}]
    if page.acknowledge_url:
        buttons.append(
            {
                "type": "button",
                "style": "primary",
                "text": {"type": "plain_text", "text": acknowledge_label(page.assignee)},
                "url": page.acknowledge_url,
            }
        )
    facts = " · ".join(
        f for f in (page.severity, page.status, page.pipeline, page.assignee and f"on call: {page.assignee}") if f
    )
    heading = f"*{slack_link(page.url, slack_text(page.title, SLACK_TITLE_LIMIT))}*\n"
    return {
        "text": slack_text(f"{page.title}: {page.text}", SLACK_FALLBACK_LIMIT),
        "blocks": [
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": heading + slack_text(page.text, SLACK_TEXT_LIMIT - len(heading))},
            },
            *(
                [{"type": "context", "elements": [{"type": "mrkdwn", "text": slack_text(facts, SLACK_TEXT_LIMIT)}]}]
                if facts
                else []
            ),
            {"type": "actions", "elements": buttons},
        ],
    }


def teams_text(value: str) -> str:
    """`value` in an Adaptive Card with no link of its own: TextBlocks and facts render markdown links.

    Only links are broken, invisibly: Teams clients differ on backslash escapes, which could show as
    written all over every card, and emphasis or a list from a title misleads nobody. A card cannot
    mention anyone without the message's own mention entities, which the portal never sends.
    """
    return value.replace("](", f"]{ZERO_WIDTH_SPACE}(")


def teams_payload(page: ChatPage) -> dict:
    """A Microsoft Teams Workflows webhook message carrying one Adaptive Card."""
    actions = [{"type": "Action.OpenUrl", "title": "Open", "url": page.url}]
    if page.acknowledge_url:
        actions.append(
            {"type": "Action.OpenUrl", "title": f"Acknowledge as {page.assignee}", "url": page.acknowledge_url}
        )
    named = {"Pipeline": page.pipeline, "Severity": page.severity, "Status": page.status, "On call": page.assignee}
    facts = [{"title": title, "value": teams_text(value)} for title, value in named.items() if value]
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [
            {"type": "TextBlock", "text": teams_text(page.title), "weight": "Bolder", "size": "Medium", "wrap": True},
            {"type": "TextBlock", "text": teams_text(page.text), "wrap": True},
            *([{"type": "FactSet", "facts": facts}] if facts else []),
        ],
        "actions": actions,
    }
    return {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}
        ],
    }


def webhook_payload(page: ChatPage) -> dict:
    """The page as plain JSON for any receiver."""
    return asdict(page)


PAYLOADS = {"slack": slack_payload, "teams": teams_payload, "webhook": webhook_payload}
