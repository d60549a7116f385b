from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from oncall import services
from oncall.filtersets import ShiftFilterSet
from oncall.models import Rotation, Shift, TeamMember
from oncall.views import current_order, on_call_now

from .serializers import (
    HolidayQuerySerializer,
    HolidaySerializer,
    MemberOffboardSerializer,
    OnCallSerializer,
    RotationSerializer,
    ShiftSerializer,
    TeamMemberSerializer,
    field_errors,
)


class TeamMemberViewSet(viewsets.ModelViewSet):
    """Team members: everyone reads; managers add members, edit them (e.g. to add emails) and offboard them."""

    queryset = TeamMember.objects.select_related("user").order_by("name")
    serializer_class = TeamMemberSerializer
    filterset_fields = ["active", "is_manager"]
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def perform_create(self, serializer):
        with field_errors():
            serializer.instance = services.team_member_create(**serializer.validated_data)

    @extend_schema(request=MemberOffboardSerializer, responses=TeamMemberSerializer)
    @action(detail=True, methods=["post"], serializer_class=MemberOffboardSerializer)
    def offboard(self, request, pk=None):
        """The member leaves on `effective_date`; an optional `successor` (member id) takes over their place."""
        member = self.get_object()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with field_errors():
            services.member_offboard(member=member, **serializer.validated_data)
        member.refresh_from_db()
        return Response(TeamMemberSerializer(member, context=self.get_serializer_context()).data)


class RotationViewSet(viewsets.ModelViewSet):
    """Rotations: everyone reads; managers edit them, and setting `order` replaces the current members."""

    queryset = Rotation.objects.prefetch_related(current_order()).order_by("name")
    serializer_class = RotationSerializer
    # No DELETE: a rotation's past holiday shifts are the history its holiday window counts.
    http_method_names = ["get", "post", "put", "patch", "head", "options"]


class ShiftViewSet(viewsets.ReadOnlyModelViewSet):
    """Shifts, filtered by date range, member (username), kind and rotation."""

    queryset = Shift.objects.select_related("member__user").order_by("date", "rotation_id")
    serializer_class = ShiftSerializer
    filterset_class = ShiftFilterSet


class OnCallNowViewSet(viewsets.GenericViewSet):
    """For each rotation: who is on call now and the next shift that hands over to somebody else."""

    serializer_class = OnCallSerializer
    pagination_class = None
    filter_backends = []

    def list(self, request):
        return Response(self.get_serializer(on_call_now(timezone.now()), many=True).data)


class HolidayViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Each rotation's holidays in one year (`?year=`, default this year), on their own dates."""

    serializer_class = HolidaySerializer
    filter_backends = []

    def get_queryset(self) -> list[dict]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no query
            return []
        query = HolidayQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        year = query.validated_data.get("year", timezone.localdate().year)
        return [
            {"date": day, "name": name, "rotation": rotation.pk}
            for rotation in Rotation.objects.prefetch_related("custom_holidays").order_by("name")
            for day, name in sorted(services.rotation_holidays(rotation, [year]).items())
        ]

    @extend_schema(parameters=[OpenApiParameter("year", int, description="Default: this year.")])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)
