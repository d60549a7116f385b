from django.db.models import Prefetch
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from incidents.automatic import alerts_record
from incidents.filtersets import CommunicationFilterSet, IncidentFilterSet
from incidents.models import ChatChannel, Communication, Incident, IncidentNote
from oncall.api.pagination import NewestFirstCursorPagination
from oncall.permissions import PostSignals, ReadOrManagerWrite, SignedInPerson, TeamMemberActs, acting_member

from ..communications import communication_log
from ..services import incident_open, incident_step
from .serializers import (
    AlertmanagerWebhookSerializer,
    ChatChannelSerializer,
    CommunicationSerializer,
    IncidentSerializer,
    IncidentStepSerializer,
)


class OnTheTeamToRecordSteps(TeamMemberActs):
    message = "Only team members record incident steps; this account is not on the team."


STEP_PERMISSIONS = [SignedInPerson, OnTheTeamToRecordSteps]


class NewestDetectedFirst(NewestFirstCursorPagination):
    """The newest detected incidents first, as `Incident.Meta.ordering`; index `incidents_inc_detected_id` serves
    it, and each filter has its own index in the same order (`incidents_inc_status_det`, ...)."""

    ordering = ("-detected_at", "-id")


class IncidentViewSet(
    mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Incidents, newest detected first, by cursor (`unresolved=true` for the ones still open). Every signed-in
    member may open one and record its steps."""

    queryset = Incident.objects.select_related(
        "pipeline", "assignee__user", "acknowledged_by__user", "mitigated_by__user", "resolved_by__user"
    ).prefetch_related(Prefetch("notes", queryset=IncidentNote.objects.select_related("author__user")))
    serializer_class = IncidentSerializer
    filterset_class = IncidentFilterSet
    permission_classes = [SignedInPerson]
    pagination_class = NewestDetectedFirst

    def perform_create(self, serializer):
        data = {"detected_at": timezone.now(), **serializer.validated_data}
        incident = incident_open(**data, opened_by=acting_member(self.request.user))
        serializer.instance = self.get_queryset().get(pk=incident.pk)

    def step(self, request, pk: str, step: str) -> Response:
        incident = self.get_object()
        arguments = IncidentStepSerializer(data=request.data)
        arguments.is_valid(raise_exception=True)
        incident_step(
            incident_id=incident.pk,
            step=step,
            member=acting_member(request.user),
            at=arguments.validated_data.get("at"),
            note=arguments.validated_data["note"],
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=incident.pk)).data)

    @extend_schema(request=IncidentStepSerializer, responses=IncidentSerializer)
    @action(detail=True, methods=["post"], permission_classes=STEP_PERMISSIONS)
    def acknowledge(self, request, pk=None):
        """Acknowledge now, or at an earlier `at` (never in the future, never before detection)."""
        return self.step(request, pk, "acknowledge")

    @extend_schema(request=IncidentStepSerializer, responses=IncidentSerializer)
    @action(detail=True, methods=["post"], permission_classes=STEP_PERMISSIONS)
    def mitigate(self, request, pk=None):
        """A workaround is in place; this stops the resolution clock. Acknowledges too if nobody had."""
        return self.step(request, pk, "mitigate")

    @extend_schema(request=IncidentStepSerializer, responses=IncidentSerializer)
    @action(detail=True, methods=["post"], permission_classes=STEP_PERMISSIONS)
    def resolve(self, request, pk=None):
        """Fixed for good. Acknowledges too if nobody had."""
        return self.step(request, pk, "resolve")


class CommunicationViewSet(mixins.CreateModelMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Messages to stakeholders, newest first; any signed-in member records the ones they sent."""

    queryset = Communication.objects.select_related("pipeline", "sent_by__user")
    serializer_class = CommunicationSerializer
    filterset_class = CommunicationFilterSet
    permission_classes = [SignedInPerson]

    def perform_create(self, serializer):
        communication = communication_log(**serializer.validated_data, sent_by=acting_member(self.request.user))
        serializer.instance = self.get_queryset().get(pk=communication.pk)


class ChatChannelViewSet(viewsets.ModelViewSet):
    """Chat channels pages are also posted to. Everyone reads; managers add, change and remove them."""

    queryset = ChatChannel.objects.select_related("pipeline")
    serializer_class = ChatChannelSerializer
    permission_classes = [ReadOrManagerWrite]


class AlertmanagerWebhookView(APIView):
    """`POST /api/alerts/alertmanager/`: Prometheus Alertmanager's webhook (version 4), from a service token.

    Each firing alert opens or joins its pipeline's incident (label `pipeline`, a slug); a resolved one
    resolves the incident it opened. Alerts about no known pipeline open a team-level incident.
    """

    permission_classes = [PostSignals]

    @extend_schema(request=AlertmanagerWebhookSerializer, responses={200: OpenApiTypes.OBJECT})
    def post(self, request):
        serializer = AlertmanagerWebhookSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(alerts_record(alerts=serializer.validated_data["alerts"]))
