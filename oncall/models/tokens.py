import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q

# Personal tokens start with this, so the API tells them apart from DRF's 40-hex service tokens.
PERSONAL_TOKEN_PREFIX = "pop_"


def new_personal_token() -> str:
    return PERSONAL_TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class PersonalToken(models.Model):
    """A named API token of one person, made on /account/.

    Only the key's SHA-256 is stored: the key itself is shown once, when it is made. A revoked
    token keeps its row (when it was made, last used and revoked) but no longer signs anybody in.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="personal_tokens")
    name = models.CharField(max_length=100, help_text='What the token is for, e.g. "laptop scripts".')
    digest = models.CharField(max_length=64, unique=True, editable=False)
    hint = models.CharField(max_length=12, editable=False, help_text="The key's first characters, to recognise it.")
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "name"],
                condition=Q(revoked_at__isnull=True),
                name="%(app_label)s_%(class)s_one_live_name_per_user",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.hint}…)"

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None
