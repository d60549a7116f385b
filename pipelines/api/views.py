from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from oncall.api.history import ChangeSerializer, paginated_changes
from oncall.history import changes_queryset
from oncall.permissions import PostRunsOrRead
from pipelines.filtersets import PipelineFilterSet, RunFilterSet
from pipelines.models import Pipeline, Run
from pipelines.permissions import RunbookEditorsWrite
from pipelines.services import run_upsert

from .serializers import PipelineSerializer, RunSerializer


class PipelineViewSet(viewsets.ModelViewSet):
    """Pipelines looked up by slug. Everyone reads; a pipeline's owners and the managers edit its runbook,
    managers its owners and downstream team (403 for anyone else)."""

    queryset = Pipeline.objects.with_runbook_relations().prefetch_related("delay_rules__contact")
    serializer_class = PipelineSerializer
    filterset_class = PipelineFilterSet
    permission_classes = [RunbookEditorsWrite]
    lookup_field = "slug"
    http_method_names = ["get", "put", "patch", "head", "options"]

    @extend_schema(responses=ChangeSerializer(many=True))
    @action(detail=True, methods=["get"], filter_backends=[])
    def history(self, request, slug=None):
        """The runbook's change log, newest first: its fields, owners and delay rules."""
        pipeline = self.get_object()
        return paginated_changes(self, changes_queryset(subjects={"pipeline": [pipeline.pk]}))


class RunViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Pipeline runs. POST upserts by (pipeline, external_id): 201 when new, 200 when a re-sent run updated it.

    Service tokens may only post; people read; managers may post too.
    """

    queryset = Run.objects.select_related("pipeline")
    serializer_class = RunSerializer
    filterset_class = RunFilterSet
    permission_classes = [PostRunsOrRead]

    @extend_schema(responses={200: RunSerializer, 201: RunSerializer})
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        values = dict(serializer.validated_data)
        pipeline, external_id = values.pop("pipeline"), values.pop("external_id")
        run, created = run_upsert(pipeline=pipeline, external_id=external_id, values=values)
        return Response(
            self.get_serializer(run).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )
