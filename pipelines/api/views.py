from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from oncall.api.history import ChangeSerializer, paginated_changes
from oncall.api.pagination import NewestFirstCursorPagination
from oncall.api.validation import validation_error_detail
from oncall.history import changes_queryset
from oncall.permissions import PostRunsOrRead
from pipelines.filtersets import PipelineFilterSet, RunFilterSet
from pipelines.models import Pipeline, Run
from pipelines.permissions import RunbookEditorsWrite
from pipelines.services import MAX_RUNS_PER_BATCH, RunBatchError, RunBatchItem, run_upsert, runs_upsert

from .serializers import PipelineSerializer, RunBatchSerializer, RunSerializer


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


class LatestRunsFirst(NewestFirstCursorPagination):
    """The latest scheduled runs first, as `Run.Meta.ordering`; index `pipelines_run_scheduled_id` serves it."""

    ordering = ("-scheduled_for", "-id")


class RunViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Pipeline runs. POST upserts by (pipeline, external_id): 201 when new, 200 when a re-sent run updated it.

    Service tokens may only post; people read; managers may post too.
    """

    queryset = Run.objects.select_related("pipeline")
    serializer_class = RunSerializer
    filterset_class = RunFilterSet
    permission_classes = [PostRunsOrRead]
    pagination_class = LatestRunsFirst

    @extend_schema(
        request=PolymorphicProxySerializer(
            component_name="RunOrRuns",
            serializers=[RunSerializer, RunSerializer(many=True)],
            resource_type_field_name=None,
            many=False,
        ),
        responses={
            200: PolymorphicProxySerializer(
                component_name="RunOrBatch",
                serializers=[RunSerializer, RunBatchSerializer],
                resource_type_field_name=None,
            ),
            201: RunSerializer,
        },
        description=(
            "One run (an object: 201 when new, 200 when a re-sent run updated it), or a backfill: a list of up "
            f"to {MAX_RUNS_PER_BATCH:,} runs stored together or not at all: 200 with the counts, or 400 with each "
            "invalid run's errors under its place in the list (\"0\" for the first). Only each pipeline's newest "
            "run of a batch may open or resolve its incident."
        ),
    )
    def create(self, request, *args, **kwargs):
        if isinstance(request.data, list):
            return self.create_batch(request.data)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        values = dict(serializer.validated_data)
        pipeline, external_id = values.pop("pipeline"), values.pop("external_id")
        run, created = run_upsert(pipeline=pipeline, external_id=external_id, values=values)
        return Response(
            self.get_serializer(run).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )

    def create_batch(self, data: list):
        slugs = {item["pipeline"] for item in data if isinstance(item, dict) and isinstance(item.get("pipeline"), str)}
        context = self.get_serializer_context()
        context["pipelines"] = {pipeline.slug: pipeline for pipeline in Pipeline.objects.filter(slug__in=slugs)}
        serializer = RunSerializer(
            data=data, many=True, allow_empty=False, max_length=MAX_RUNS_PER_BATCH, context=context
        )
        serializer.is_valid(raise_exception=True)
        items = []
        for values in map(dict, serializer.validated_data):
            items.append(RunBatchItem(values.pop("pipeline"), values.pop("external_id"), values))
        try:
            results = runs_upsert(items=items)
        except RunBatchError as error:
            detail = {str(place): validation_error_detail(each) for place, each in error.errors.items()}
            return Response(detail, status=status.HTTP_400_BAD_REQUEST)
        created = sum(created for _, created in results)
        batch = {
            "created": created,
            "updated": len(results) - created,
            "runs": [
                {"id": run.pk, "pipeline": run.pipeline.slug, "external_id": run.external_id, "created": was_created}
                for run, was_created in results
            ],
        }
        return Response(RunBatchSerializer(batch).data)
