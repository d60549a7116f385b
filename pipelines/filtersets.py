import django_filters

from .models import DownstreamTeam, Pipeline, Run


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

    pipeline = django_filters.CharFilter(field_name="pipeline__slug")
    scheduled_after = django_filters.IsoDateTimeFilter(field_name="scheduled_for", lookup_expr="gte")
    scheduled_before = django_filters.IsoDateTimeFilter(field_name="scheduled_for", lookup_expr="lt")

    class Meta:
        model = Run
        fields = ["pipeline", "status", "scheduled_after", "scheduled_before"]
