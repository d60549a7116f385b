"""Getting in: who may sign in, invitations to set a first password, password-reset mail, personal API tokens.

One rule decides who may sign in, by any route (password, single sign-on, API tokens, a session
already open): `can_sign_in`. Offboarded members are locked out by it.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes
from django.utils.http import base36_to_int, urlsafe_base64_encode

from . import notifications
from .models import Notification, PersonalToken, TeamMember
from .models.tokens import new_personal_token, token_digest

INVITATION_KIND = "accounts.invitation"
PASSWORD_RESET_KIND = "accounts.password-reset"
INVITATION_VALID_FOR = timedelta(days=7)


# django-axes keeps at most this much of a username it counts failed sign-ins for.
FAILED_SIGN_IN_USERNAME_LENGTH = 255


def failed_sign_in_username(request, credentials: dict | None = None) -> str | None:
    """The username django-axes counts failed sign-ins for (`AXES_USERNAME_CALLABLE`): as given, cut to
    what it stores. No account has a longer one; uncut, it made every sign-in route a 500."""
    username = credentials.get("username") if credentials else getattr(request, "data", request.POST).get("username")
    return username[:FAILED_SIGN_IN_USERNAME_LENGTH] if isinstance(username, str) else username


def can_sign_in(user) -> bool:
    """An active user whose team member, if there is one, has not left: the one gate of every route in."""
    if user is None or not user.is_active:
        return False
    member = getattr(user, "team_member", None)
    return member is None or member.active


def member_for_email(email: str) -> TeamMember | None:
    """The one active member with this address (any case); None when there is none, or more than one."""
    if not email or not email.strip():
        return None
    members = list(
        TeamMember.objects.active().filter(email__iexact=email.strip(), user__is_active=True).select_related("user")[:2]
    )
    return members[0] if len(members) == 1 else None


def display_name(user) -> str:
    member = getattr(user, "team_member", None)
    return member.name if member else (user.get_full_name() or user.get_username())


class MemberBackend(ModelBackend):
    """Django's username and password sign-in, closed to offboarded members, sessions included."""

    def user_can_authenticate(self, user) -> bool:
        return can_sign_in(user)

    def get_user(self, user_id):
        # The member comes with the user: pages read it on every request (name, time zone).
        user = get_user_model()._default_manager.select_related("team_member").filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None


# --- invitations ---------------------------------------------------------------------------------


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    """Tokens of the set-a-first-password link: valid seven days, and once.

    Like a reset token it hashes the password and the last sign-in, so setting the password (which
    also signs the member in) spends it.
    """

    key_salt = "oncall.accounts.InvitationTokenGenerator"

    def check_token(self, user, token) -> bool:
        if not (user and token):
            return False
        try:
            timestamp = base36_to_int(token.split("-")[0])
        except ValueError:
            return False
        genuine = any(
            constant_time_compare(self._make_token_with_timestamp(user, timestamp, secret), token)
            for secret in [self.secret, *self.secret_fallbacks]
        )
        age = self._num_seconds(self._now()) - timestamp
        return genuine and 0 <= age <= INVITATION_VALID_FOR.total_seconds()


invitation_tokens = InvitationTokenGenerator()


def member_sign_in_link(user, *, url_name: str, token: str) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return notifications.absolute_url(reverse(url_name, kwargs={"uidb64": uid, "token": token}))


@transaction.atomic
def member_invite(*, member: TeamMember, invited_by, now: datetime | None = None) -> Notification:
    """Email a member a link to set their first password (valid 7 days, once).

    Refused for a member who left, has no address, or has signed in before (they reset their
    password from the sign-in page instead).
    """
    now = now or timezone.now()
    member = TeamMember.objects.select_for_update().select_related("user").get(pk=member.pk)
    if not can_sign_in(member.user):
        raise ValidationError(f"{member.name} has left the team.")
    if not member.email:
        raise ValidationError({"email": f"{member.name} has no email address: add one first."})
    if member.user.last_login is not None:
        raise ValidationError(
            f"{member.name} has signed in before; they can reset their password from the sign-in page."
        )
    link = member_sign_in_link(
        member.user, url_name="invitation_accept", token=invitation_tokens.make_token(member.user)
    )
    inviter = display_name(invited_by)
    body = (
        f"Hello {member.name},\n\n"
        f"{inviter} invites you to the Pipeline Ops Portal: runbooks, on-call, holiday trades, incidents and SLA.\n\n"
        f"Your username is {member.username}. Choose your password here (the link works once, for 7 days):\n\n"
        f"{link}\n"
    )
    [notification] = notifications.notify(
        event=f"{INVITATION_KIND}:{member.pk}:{now.isoformat()}",
        kind=INVITATION_KIND,
        recipients=[notifications.Recipient.of(member)],
        subject=f"{inviter} invites you to the Pipeline Ops Portal",
        body=body,
        about=f"Invitation of {member.name}",
    )
    return notification


# --- personal API tokens -------------------------------------------------------------------------

# A token's last use is written at most this often, so a busy script does not write on every call.
LAST_USED_PRECISION = timedelta(minutes=1)


@transaction.atomic
def personal_token_create(*, user, name: str, now: datetime | None = None) -> tuple[PersonalToken, str]:
    """Make a named token for `user`; returns it with its key, which is never shown again."""
    key = new_personal_token()
    token = PersonalToken(
        user=user, name=name.strip(), digest=token_digest(key), hint=key[:8], created_at=now or timezone.now()
    )
    token.full_clean()
    token.save()
    return token, key


@transaction.atomic
def personal_token_revoke(*, token_id: int, user, now: datetime | None = None) -> PersonalToken:
    """Revoke one of the user's own tokens: it answers 401 from now on."""
    token = PersonalToken.objects.select_for_update().get(pk=token_id, user=user)
    if token.revoked_at is None:
        token.revoked_at = now or timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def personal_token_user(*, key: str, now: datetime | None = None):
    """The user a personal token key signs in, or None (unknown, revoked, or the person may not sign in)."""
    now = now or timezone.now()
    token = (
        PersonalToken.objects.select_related("user__team_member")
        .filter(digest=token_digest(key), revoked_at__isnull=True)
        .first()
    )
    if token is None or not can_sign_in(token.user):
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
        PersonalToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def sso_enabled() -> bool:
    return bool(settings.OIDC_ISSUER and settings.OIDC_CLIENT_ID and settings.OIDC_CLIENT_SECRET)


def password_sign_in_shown() -> bool:
    """`OIDC_ONLY` hides the password form, but only while single sign-on is there to replace it."""
    return not (settings.OIDC_ONLY and sso_enabled())


# --- the member's own account --------------------------------------------------------------------


@transaction.atomic
def member_account_update(*, member: TeamMember, name: str, email: str, time_zone: str) -> TeamMember:
    """A member edits their name, address and display time zone; the login user follows (not the username)."""
    member = TeamMember.objects.select_for_update().select_related("user").get(pk=member.pk)
    member.name, member.email, member.time_zone = name.strip(), email.strip(), time_zone
    member.full_clean()
    member.save(update_fields=["name", "email", "time_zone"])
    user = member.user
    user.first_name, _, user.last_name = member.name.partition(" ")
    user.email = member.email
    user.save(update_fields=["first_name", "last_name", "email"])
    return member


@transaction.atomic
def member_email_preferences_set(*, member: TeamMember, muted_kinds: list[str]) -> TeamMember:
    """Which optional emails the member does not want; the outbox skips those kinds for them."""
    member = TeamMember.objects.select_for_update().get(pk=member.pk)
    member.email_muted_kinds = sorted(set(muted_kinds))
    member.full_clean()
    member.save(update_fields=["email_muted_kinds"])
    return member
