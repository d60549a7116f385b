from django.core.exceptions import PermissionDenied
from rest_framework.permissions import SAFE_METHODS, BasePermission

NOT_ON_THE_TEAM = "Only team members trade holiday shifts, and this account is not on the team."

# Users in this group are pipelines (Airflow, Data Factory, Spark jobs) with a token: they may post
# runs and nothing else.
SERVICE_GROUP = "pipeline-services"


def is_service_account(user) -> bool:
    if not (user and user.is_authenticated):
        return False
    # Read from the prefetch cache when the request already loaded the groups.
    return any(group.name == SERVICE_GROUP for group in user.groups.all())


def acting_member(user):
    """The team member behind a signed-in user; None for an account that is not on the team."""
    return getattr(user, "team_member", None) if user and user.is_authenticated else None


def team_member_or_403(user, message: str = NOT_ON_THE_TEAM):
    """The team member behind `user`, for what only members do on a page; PermissionDenied (a 403 saying
    `message`) for an account that is not on the team. The API uses `TeamMemberActs`: DRF answers Django's
    PermissionDenied in words of its own."""
    member = acting_member(user)
    if member is None:
        raise PermissionDenied(message)
    return member


def is_manager(user) -> bool:
    """Team leaders (members marked as managers) and staff may edit shared data."""
    if not (user and user.is_authenticated):
        return False
    if user.is_staff or user.is_superuser:
        return True
    member = getattr(user, "team_member", None)
    return bool(member and member.is_manager and member.active)


class ReadOrManagerWrite(BasePermission):
    """Every signed-in person reads; only managers and staff write; service accounts get nothing here."""

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated) or is_service_account(request.user):
            return False
        return request.method in SAFE_METHODS or is_manager(request.user)


class SignedInPerson(BasePermission):
    """Any signed-in person (not a service account): members act on incidents and their own trades."""

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated) and not is_service_account(request.user)


class PostRunsOrRead(BasePermission):
    """Service accounts may only post runs; people read them; managers may also post by hand."""

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if is_service_account(user):
            return request.method == "POST"
        return request.method in SAFE_METHODS or is_manager(user)


class TeamMemberActs(BasePermission):
    """Writing needs a team member behind the account; reading does not. `message` (the 403's text) says
    what only members do."""

    message = NOT_ON_THE_TEAM

    def has_permission(self, request, view):
        return request.method in SAFE_METHODS or acting_member(request.user) is not None


class OnTheTeamToTrade(TeamMemberActs):
    """Offering and answering trades needs a team member behind the account; reading does not."""


class PostSignals(BasePermission):
    """Monitoring alerts come from service accounts (or a manager testing by hand); nobody reads them back."""

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        return request.method == "POST" and (is_service_account(user) or is_manager(user))
