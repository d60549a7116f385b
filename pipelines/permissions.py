"""Who may change a pipeline's runbook, and who its ownership and downstream team."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from oncall.permissions import acting_member, is_manager, is_service_account


def can_edit_runbook(user, pipeline) -> bool:
    """The pipeline's owners (primary or secondary) and the managers."""
    if is_manager(user):
        return True
    member = acting_member(user)
    if member is None or not member.active:
        return False
    return any(ownership.member_id == member.pk for ownership in pipeline.ownerships.all())


def can_edit_ownership(user) -> bool:
    """Ownership and the critical downstream team are the managers' to decide."""
    return is_manager(user)


class RunbookEditorsWrite(BasePermission):
    """Every signed-in person reads; a pipeline's owners and the managers edit its runbook."""

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated) or is_service_account(request.user):
            return False
        return request.method in SAFE_METHODS or is_manager(request.user) or acting_member(request.user) is not None

    def has_object_permission(self, request, view, obj):
        return request.method in SAFE_METHODS or can_edit_runbook(request.user, obj)
