from datetime import date

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics

from incidents.filtersets import MONTH_SCHEMA
from pipelines.models import SlaPolicy

from ..models import SlaEscalation, SlaReport
from .serializers import SlaEscalationSerializer, SlaMonthQuerySerializer, SlaPolicySerializer, SlaReportSerializer

MONTH_PARAMETER = OpenApiParameter("month", MONTH_SCHEMA, description="A calendar month, YYYY-MM.")


def query_month(request, *, required: bool) -> date | None:
    """`?month=YYYY-MM`; a malformed (or, when required, missing) month is a 400."""
    query = SlaMonthQuerySerializer(data=request.query_params, required=required)
    query.is_valid(raise_exception=True)
    return query.validated_data.get("month")


class SlaReportListView(generics.ListAPIView):
    """`sla/?month=YYYY-MM`: each pipeline's SLA figures for the month; once signed off, the frozen ones."""

    serializer_class = SlaReportSerializer
    filter_backends = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator sends no query
            return SlaReport.objects.none()
        month = query_month(self.request, required=True)
        return (
            SlaReport.objects.filter(month=month)
            .select_related("pipeline")
            .defer("details", "latest")
            .order_by("pipeline__name")
        )

    @extend_schema(parameters=[OpenApiParameter("month", MONTH_SCHEMA, required=True, description="YYYY-MM")])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class SlaPolicyView(generics.RetrieveUpdateAPIView):
    """`sla/policy/`: the SLA in force. Everyone reads it; managers change it (PUT or PATCH)."""

    queryset = SlaPolicy.objects.all()
    serializer_class = SlaPolicySerializer

    def get_object(self) -> SlaPolicy:
        policy = SlaPolicy.current()
        self.check_object_permissions(self.request, policy)
        return policy


class SlaEscalationListView(generics.ListAPIView):
    """`sla/escalations/?month=`: each first breach of a dimension, who was told, and who could not be."""

    serializer_class = SlaEscalationSerializer
    filter_backends = []

    def get_queryset(self):
        escalations = SlaEscalation.objects.select_related("pipeline")
        if getattr(self, "swagger_fake_view", False):
            return escalations.none()
        month = query_month(self.request, required=False)
        return escalations.filter(month=month) if month else escalations

    @extend_schema(parameters=[MONTH_PARAMETER])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
