from django.db import models


class Severity(models.TextChoices):
    """Critical incidents have acknowledgement and fix deadlines; critical downstream teams make failures critical."""

    CRITICAL = "critical", "Critical"
    MAJOR = "major", "Major"
    MINOR = "minor", "Minor"


class IncidentStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    MITIGATED = "mitigated", "Mitigated (workaround)"
    RESOLVED = "resolved", "Resolved"


class Channel(models.TextChoices):
    """How a message reached the stakeholders."""

    EMAIL = "email", "Email"
    CHAT = "chat", "Chat"
    MEETING = "meeting", "Meeting or call"
    OTHER = "other", "Other"


class SignalKind(models.TextChoices):
    """What opened or joined an automatic incident."""

    FAILED_RUN = "failed_run", "Failed run"
    OVERDUE_RUN = "overdue_run", "Overdue run"
    MISSED_DELIVERY = "missed_delivery", "Missed delivery"
    ALERT = "alert", "Monitoring alert"


class ChatKind(models.TextChoices):
    SLACK = "slack", "Slack (or Mattermost) incoming webhook"
    TEAMS = "teams", "Microsoft Teams Workflows webhook"
    WEBHOOK = "webhook", "Webhook (the incident as JSON)"
