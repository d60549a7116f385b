from django.db import models
from django.db.models.functions import Upper

from ..choices import NotificationStatus
from .members import TeamMember


class Notification(models.Model):
    """One email the portal sent or will send: the audit of who was told what.

    `key` names the event and the recipient (e.g. `oncall.block-reminder:shift-12:a@example.com`);
    it is unique, so an event retried by a task never reaches the same person twice.
    """

    key = models.CharField(max_length=255, unique=True)
    kind = models.CharField(max_length=60)  # indexed with created_at, below
    recipient = models.EmailField()
    member = models.ForeignKey(
        TeamMember, on_delete=models.SET_NULL, null=True, blank=True, related_name="notifications"
    )
    subject = models.CharField(max_length=255)
    body = models.TextField()
    about = models.CharField(max_length=255, blank=True, help_text="What the message is about, in words.")
    about_url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=NotificationStatus.choices, default=NotificationStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    queued_at = models.DateTimeField(
        null=True, blank=True, help_text="When the outbox sweeper last handed it to the broker again."
    )
    requeues = models.PositiveSmallIntegerField(default=0, help_text="Times the outbox sweeper re-queued it.")

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status=NotificationStatus.SENT) | models.Q(sent_at__isnull=False),
                name="%(app_label)s_%(class)s_sent_has_time",
            ),
        ]
        # `/api/notifications/` pages by (created_at, id), newest first; a member's own are theirs by member or
        # by address (`recipient__iexact`), and anyone may filter by kind or status.
        indexes = [
            models.Index(fields=["created_at", "id"], name="oncall_notif_created_id"),
            models.Index(fields=["member", "created_at"], name="oncall_notif_member_created"),
            models.Index(Upper("recipient"), "created_at", name="oncall_notif_recipient_created"),
            models.Index(fields=["kind", "created_at"], name="oncall_notif_kind_created"),
            models.Index(fields=["status", "created_at"], name="oncall_notif_status_created"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {self.recipient} ({self.get_status_display()})"
