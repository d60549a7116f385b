import secrets
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q

from ..choices import OptionalEmail
from ..history import track, tracked_history
from ..querysets import TeamMemberQuerySet
from ..years import validate_supported_date


def new_feed_token() -> str:
    return secrets.token_urlsafe(32)


class TeamMember(models.Model):
    """A person on the data-engineering team, with the login user they sign in as."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="team_member")
    name = models.CharField(max_length=150, unique=True)
    email = models.EmailField(blank=True)
    area = models.CharField(max_length=150, blank=True, help_text='e.g. "Growth & Investors"')
    expertise = models.TextField(blank=True, max_length=2000, validators=[MaxLengthValidator(2000)])
    is_manager = models.BooleanField(
        "team leader", default=False, help_text="Edits rotations, offboards members, signs off SLA reviews."
    )
    active = models.BooleanField(default=True)
    joined_on = models.DateField(null=True, blank=True, validators=[validate_supported_date])
    left_on = models.DateField(null=True, blank=True, validators=[validate_supported_date])
    successor = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="predecessors",
        help_text="Who took over this member's rotation position, shifts and holiday history when they left.",
    )
    calendar_token = models.CharField(
        max_length=64, unique=True, default=new_feed_token, help_text="The secret in this member's calendar feed URL."
    )
    time_zone = models.CharField(
        max_length=64,
        blank=True,
        help_text="Times on the portal's pages are shown in this zone; empty: in the browser's own zone.",
    )
    email_muted_kinds = models.JSONField(
        "emails switched off",
        default=list,
        blank=True,
        help_text="Notification kinds this member chose not to get by email; pages always go out.",
    )

    objects = TeamMemberQuerySet.as_manager()

    history = tracked_history(excluded_fields=["calendar_token"])

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(left_on__isnull=True) | Q(joined_on__isnull=True) | Q(left_on__gte=models.F("joined_on")),
                name="%(app_label)s_%(class)s_left_after_joined",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        errors = {}
        if self.time_zone:
            try:
                zoneinfo.ZoneInfo(self.time_zone)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                errors["time_zone"] = f"“{self.time_zone}” is not a time zone name such as Europe/Berlin."
        unknown = sorted(set(self.email_muted_kinds or []) - set(OptionalEmail.values))
        if unknown:
            errors["email_muted_kinds"] = f"These emails cannot be switched off: {', '.join(unknown)}."
        if errors:
            raise ValidationError(errors)

    def wants_email(self, kind: str) -> bool:
        return kind not in (self.email_muted_kinds or [])

    @property
    def username(self) -> str:
        return self.user.get_username()


track("member", TeamMember, label_field="name")
