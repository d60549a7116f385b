from django.db import models

from ..choices import NotificationStatus


class ChatMessage(models.Model):
    """One chat message (Slack, Teams or a plain webhook) the portal posted or will post.

    The outbox for chat, beside `Notification` for email: `key` names the event and the channel, so a
    retried event posts once per channel, and a channel that is down keeps its message to retry.
    """

    key = models.CharField(max_length=255, unique=True)
    kind = models.CharField(max_length=60, db_index=True, help_text="What the message is about, e.g. incidents.opened.")
    destination = models.CharField(max_length=200, help_text="The channel's name, for people reading the log.")
    url = models.URLField(max_length=1000)
    payload = models.JSONField()
    about = models.CharField(max_length=255, blank=True)
    about_url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=NotificationStatus.choices, default=NotificationStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    queued_at = models.DateTimeField(null=True, blank=True, help_text="When the outbox sweeper last queued it.")
    requeues = models.PositiveSmallIntegerField(default=0, help_text="Times the outbox sweeper re-queued it.")

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status=NotificationStatus.SENT) | models.Q(sent_at__isnull=False),
                name="%(app_label)s_%(class)s_sent_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.destination}: {self.about or self.kind}"
