"""`/api/notifications/`: the audit of every email the portal sent."""

from django.db.models import Q
from rest_framework import serializers, viewsets

from ..models import Notification
from ..permissions import acting_member, is_manager
from .pagination import NewestFirstCursorPagination


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = [
            "id", "recipient", "subject", "kind", "about", "about_url", "created_at", "sent_at", "status", "attempts",
            "last_error",
        ]  # fmt: skip
        read_only_fields = fields


class NotificationViewSet(viewsets.ReadOnlyModelViewSet):
    """Every email the portal sent, newest first. Managers and staff see all; a member sees their own."""

    queryset = Notification.objects.all()
    serializer_class = NotificationSerializer
    filterset_fields = ["kind", "status"]
    pagination_class = NewestFirstCursorPagination

    def get_queryset(self):
        queryset = super().get_queryset()
        user = self.request.user
        if is_manager(user):
            return queryset
        member = acting_member(user)
        if member is None:
            return queryset.none()
        # Messages recorded before the address was linked to a member still belong to whoever has it now.
        mine = Q(member=member) | Q(recipient__iexact=member.email) if member.email else Q(member=member)
        return queryset.filter(mine)
