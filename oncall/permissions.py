from rest_framework.permissions import SAFE_METHODS, BasePermission


def is_manager(user) -> bool:
    """Team leaders (members marked as managers) and staff may edit shared data."""
    if not (user and user.is_authenticated):
        return False
    if user.is_staff or user.is_superuser:
        return True
    member = getattr(user, "team_member", None)
    return bool(member and member.is_manager and member.active)


class ReadOrManagerWrite(BasePermission):
    """Every signed-in user reads; only managers and staff write."""

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return False
        return request.method in SAFE_METHODS or is_manager(request.user)
