import secrets

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q

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

    @property
    def username(self) -> str:
        return self.user.get_username()


track("member", TeamMember, label_field="name")
