"""A page as each kind of chat channel wants it: plain functions over a `ChatPage`, no database."""

from dataclasses import asdict, dataclass


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


def slack_payload(page: ChatPage) -> dict:
    """A Slack incoming-webhook message (Mattermost takes the same): `text` for notifications, blocks to read."""
    buttons = [{"type": "button", "text": {"type": "plain_text", "text": "Open"}, "url": page.url}]
    if page.acknowledge_url:
        buttons.append(
            {
                "type": "button",
                "style": "primary",
                "text": {"type": "plain_text", "text": f"Acknowledge as {page.assignee}"},
                "url": page.acknowledge_url,
            }
        )
    facts = " · ".join(
        f for f in (page.severity, page.status, page.pipeline, page.assignee and f"on call: {page.assignee}") if f
    )
    return {
        "text": f"{page.title}: {page.text}",
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": f"*<{page.url}|{page.title}>*\n{page.text}"}},
            *([{"type": "context", "elements": [{"type": "mrkdwn", "text": facts}]}] if facts else []),
            {"type": "actions", "elements": buttons},
        ],
    }


def teams_payload(page: ChatPage) -> dict:
    """A Microsoft Teams Workflows webhook message carrying one Adaptive Card."""
    actions = [{"type": "Action.OpenUrl", "title": "Open", "url": page.url}]
    if page.acknowledge_url:
        actions.append(
            {"type": "Action.OpenUrl", "title": f"Acknowledge as {page.assignee}", "url": page.acknowledge_url}
        )
    named = {"Pipeline": page.pipeline, "Severity": page.severity, "Status": page.status, "On call": page.assignee}
    facts = [{"title": title, "value": value} for title, value in named.items() if value]
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [
            {"type": "TextBlock", "text": page.title, "weight": "Bolder", "size": "Medium", "wrap": True},
            {"type": "TextBlock", "text": page.text, "wrap": True},
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
