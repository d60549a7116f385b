from django.db import models
from django.db.models import Q

from pipelines.models import Pipeline

from ..choices import ChatKind


class ChatChannel(models.Model):
    """A chat channel pages are also posted to: a Slack (or Mattermost) incoming webhook, a Teams
    Workflows webhook, or any URL that takes the incident as JSON. With a pipeline, only its pages."""

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=10, choices=ChatKind.choices)
    url = models.URLField(max_length=1000)
    pipeline = models.ForeignKey(
        Pipeline, on_delete=models.CASCADE, null=True, blank=True, related_name="chat_channels",
        help_text="Empty: every pipeline's pages.",
    )  # fmt: skip
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=ChatKind.values), name="%(app_label)s_%(class)s_kind_valid"),
        ]

    def __str__(self) -> str:
        return self.name
