from datetime import UTC

import django_filters
from django import forms
from django.db.models import Subquery
from django_filters.fields import IsoDateTimeField

from .models import DownstreamTeam, Pipeline, Run


class UtcIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 date and time, as the same instant in UTC.

    ISO 8601 allows offsets up to ±23:59, PostgreSQL only up to ±15:59: left as typed, such an offset
    fails the query.
    """

    def to_python(self, value):
        value = super().to_python(value)
        if value is None:
            return None
        try:
            return value.astimezone(UTC)
        except OverflowError:
            raise forms.ValidationError("Enter a date and time between the years 1 and 9999.", code="invalid") from None


class UtcIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField


class PipelineFilterSet(django_filters.FilterSet):
    """Runbook search and filters, shared by `/runbooks/` and `/api/pipelines/`."""

    q = django_filters.CharFilter(method="search", label="Search")
    downstream_team = django_filters.ModelChoiceFilter(
        field_name="critical_downstream_team",
        queryset=DownstreamTeam.objects.all(),
        label="Downstream team",
        empty_label="Any team",
    )
    owner = django_filters.CharFilter(field_name="ownerships__member__user__username", label="Owner (username)")

    class Meta:
        model = Pipeline
        fields = ["q", "downstream_team", "owner"]

    def search(self, queryset, name, value):
        return queryset.search(value)


class RunFilterSet(django_filters.FilterSet):
    """Runs by pipeline, status and scheduled time."""

    pipeline = django_filters.CharFilter(method="filter_pipeline")
    scheduled_after = UtcIsoDateTimeFilter(field_name="scheduled_for", lookup_expr="gte")
    scheduled_before = UtcIsoDateTimeFilter(field_name="scheduled_for", lookup_expr="lt")

    class Meta:
        model = Run
        fields = ["pipeline", "status", "scheduled_after", "scheduled_before"]

    def filter_pipeline(self, queryset, name, value):
        # By the pipeline's id found first (a sub-select), not by a join on the slug: the planner can then read
        # the (pipeline, scheduled_for) index newest first instead of joining every run to its pipeline.
        return queryset.filter(pipeline_id=Subquery(Pipeline.objects.filter(slug=value).order_by().values("pk")))
