import django_filters

from .models import DownstreamTeam, Pipeline


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
