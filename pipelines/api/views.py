from rest_framework import viewsets

from pipelines.filtersets import PipelineFilterSet
from pipelines.models import Pipeline

from .serializers import PipelineSerializer


class PipelineViewSet(viewsets.ModelViewSet):
    """Pipelines looked up by slug. Everyone reads; managers edit the schedule and runbook fields."""

    queryset = Pipeline.objects.with_runbook_relations().prefetch_related("delay_rules__contact")
    serializer_class = PipelineSerializer
    filterset_class = PipelineFilterSet
    lookup_field = "slug"
    http_method_names = ["get", "put", "patch", "head", "options"]
