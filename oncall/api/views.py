from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import Q
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response

from oncall import services, trades
from oncall.accounts import member_invite
from oncall.calendar import rotation_holidays
from oncall.filtersets import ShiftFilterSet
from oncall.models import HolidayTrade, Rotation, Shift, TeamMember
from oncall.permissions import OnTheTeamToTrade, SignedInPerson, acting_member, is_manager
from oncall.selectors import current_order, holiday_trades, on_call_now

from .serializers import (
    HolidayQuerySerializer,
    HolidaySerializer,
    HolidayTradeSerializer,
    MemberInvitationSerializer,
    MemberOffboardSerializer,
    OnCallSerializer,
    RotationSerializer,
    ShiftSerializer,
    TeamMemberSerializer,
)


class TeamMemberViewSet(viewsets.ModelViewSet):
    """Team members: everyone reads; managers add members, edit them (e.g. to add emails) and offboard them."""

    queryset = TeamMember.objects.select_related("user").order_by("name")
    serializer_class = TeamMemberSerializer
    filterset_fields = ["active", "is_manager"]
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    @extend_schema(request=MemberOffboardSerializer, responses=TeamMemberSerializer)
    @action(detail=True, methods=["post"], serializer_class=MemberOffboardSerializer)
    def offboard(self, request, pk=None):
        """The member leaves on `effective_date`; an optional `successor` (member id) takes over their place."""
        member = self.get_object()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.member_offboard(member=member, **serializer.validated_data)
        member.refresh_from_db()
        return Response(TeamMemberSerializer(member, context=self.get_serializer_context()).data)

    @extend_schema(request=None, responses={202: MemberInvitationSerializer})
    @action(detail=True, methods=["post"])
    def invite(self, request, pk=None):
        """Managers email the member a link to set their first password (valid 7 days, once)."""
        member = self.get_object()
        notification = member_invite(member=member, invited_by=request.user)
        return Response(MemberInvitationSerializer(notification).data, status=202)


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
            for day, name in sorted(rotation_holidays(rotation, [year]).items())
        ]

    @extend_schema(parameters=[HolidayQuerySerializer])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)


class HolidayTradeViewSet(
    mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Holiday trades, newest first: a member sees those they requested or were offered; managers and staff all.

    A member POSTs one of their own future holiday shifts; a trade that breaks the holiday window is
    created all the same and says why in `warning`. Only the counterparty accepts or declines, only the
    requester cancels: answering is personal, so managers cannot answer for others either.
    """

    queryset = holiday_trades()
    serializer_class = HolidayTradeSerializer
    permission_classes = [SignedInPerson, OnTheTeamToTrade]
    filterset_fields = ["status"]
    lookup_value_converter = "int"

    def get_queryset(self):
        queryset = super().get_queryset()
        if is_manager(self.request.user):
            return queryset
        member = acting_member(self.request.user)
        if member is None:
            return queryset.none()
        return queryset.filter(Q(requested_by=member) | Q(counterparty=member))

    def perform_create(self, serializer):
        trade = trades.holiday_trade_request(
            requester=acting_member(self.request.user), confirmed=True, **serializer.validated_data
        )
        serializer.instance = holiday_trades().get(pk=trade.pk)

    def answer(self, service, pk: str) -> Response:
        """Run one trade service as the caller; the service decides whether the caller may."""
        try:
            trade = service(trade_id=int(pk), member=acting_member(self.request.user))
        except HolidayTrade.DoesNotExist as error:
            raise NotFound("No such trade.") from error
        except DjangoPermissionDenied as error:
            raise PermissionDenied(str(error)) from error
        return Response(self.get_serializer(holiday_trades().get(pk=trade.pk)).data)

    @extend_schema(request=None, responses=HolidayTradeSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        """The counterparty accepts: the shifts change hands at once, after everything is checked again."""
        return self.answer(trades.holiday_trade_accept, pk)

    @extend_schema(request=None, responses=HolidayTradeSerializer)
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        """The counterparty declines; the requester is emailed."""
        return self.answer(trades.holiday_trade_decline, pk)

    @extend_schema(request=None, responses=HolidayTradeSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """The requester withdraws a pending trade; the counterparty is emailed."""
        return self.answer(trades.holiday_trade_cancel, pk)
