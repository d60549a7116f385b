"""Writes and rules about people, rotations, shifts and trades."""

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction

from .models import TeamMember
from .people import login_username


@dataclass
class ImportSummary:
    """What an import created, updated and left alone, by kind of thing ("member", "pipeline"…)."""

    created: dict[str, list[str]] = field(default_factory=dict)
    updated: dict[str, list[str]] = field(default_factory=dict)
    unchanged: dict[str, list[str]] = field(default_factory=dict)

    def record(self, kind: str, name: str, *, created: bool, changed: bool) -> None:
        bucket = self.created if created else self.updated if changed else self.unchanged
        bucket.setdefault(kind, []).append(name)

    @property
    def changed_anything(self) -> bool:
        return bool(self.created or self.updated)


def assign_changed_fields(instance, values: dict) -> bool:
    """Set `values` on `instance`; True when any of them differed (so unchanged rows are not saved)."""
    changed = False
    for name, value in values.items():
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed = True
    return changed


@transaction.atomic
def team_member_upsert(*, name: str, area: str, expertise: str, is_manager: bool, summary: ImportSummary) -> TeamMember:
    """Create or update the member called `name` and their `first.last` login user."""
    User = get_user_model()
    member = TeamMember.objects.select_related("user").filter(name=name).first()
    created = member is None
    if created:
        username = login_username(name)
        user, user_created = User.objects.get_or_create(username=username)
        if user_created:
            user.set_unusable_password()  # they sign in once a manager or `set_login` gives them a password
        first, _, last = name.partition(" ")
        user.first_name, user.last_name = first, last
        user.save()
        member = TeamMember(user=user, name=name)
    changed = assign_changed_fields(member, {"area": area, "expertise": expertise, "is_manager": is_manager})
    if created or changed:
        member.full_clean()
        member.save()
    summary.record("member", name, created=created, changed=changed)
    return member


@transaction.atomic
def team_member_create(
    *, name: str, email: str = "", area: str = "", expertise: str = "", is_manager: bool = False, joined_on=None
) -> TeamMember:
    """Add a member and their `first.last` login user (without a password until one is set)."""
    User = get_user_model()
    username = login_username(name)
    if User.objects.filter(username=username).exists():
        raise ValidationError({"name": f"The username {username} is already taken."})
    first, _, last = name.partition(" ")
    user = User(username=username, first_name=first, last_name=last, email=email)
    user.set_unusable_password()
    user.save()
    member = TeamMember(
        user=user, name=name, email=email, area=area, expertise=expertise, is_manager=is_manager, joined_on=joined_on
    )
    member.full_clean()
    member.save()
    return member
