from datetime import date

import django_filters
from django import forms
from drf_spectacular.utils import extend_schema_field

from oncall.months import MONTH_PATTERN, month_bounds, parse_month
from pipelines.models import Pipeline

from .choices import IncidentStatus, Severity
from .models import Communication, Incident

# How the API documents a month, in a query or a response.
MONTH_SCHEMA = {"type": "string", "pattern": MONTH_PATTERN, "example": "2026-11"}


class MonthField(forms.CharField):
    """A calendar month typed as YYYY-MM, cleaned to its first day."""

    widget = forms.TextInput(attrs={"type": "month", "pattern": r"\d{4}-\d{2}", "placeholder": "YYYY-MM"})

    def to_python(self, value) -> date | None:
        value = super().to_python(value).strip()
        if not value:
            return None
        try:
            return parse_month(value)
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None


@extend_schema_field(MONTH_SCHEMA)
class MonthFilter(django_filters.Filter):
    """Rows whose `field_name` falls in the calendar month (UTC), so it matches the monthly SLA review."""

    field_class = MonthField

    def filter(self, queryset, value: date | None):
        if value is None:
            return queryset
        start, end = month_bounds(value.year, value.month)
        return queryset.filter(**{f"{self.field_name}__gte": start, f"{self.field_name}__lt": end})


class PipelineSlugFilter(django_filters.ModelChoiceFilter):
    """A pipeline given by its exact slug, the name runbook URLs and the API use.

    Typed, never a menu: the browsable API renders this filter's form, and a menu would list every pipeline.
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", Pipeline.objects.all())
        kwargs.setdefault("to_field_name", "slug")
        kwargs.setdefault("widget", forms.TextInput(attrs={"placeholder": "pipeline slug"}))
        super().__init__(**kwargs)


class IncidentFilterSet(django_filters.FilterSet):
    """Incident filters of `/api/incidents/`; `/incidents/` uses them too, with the pipeline typed as text."""

    pipeline = PipelineSlugFilter(label="Pipeline")
    severity = django_filters.ChoiceFilter(choices=Severity.choices, empty_label="Any severity")
    status = django_filters.ChoiceFilter(choices=IncidentStatus.choices, empty_label="Any status")
    unresolved = django_filters.BooleanFilter(
        method="filter_unresolved",
        label="Resolution",
        help_text="true: only the incidents not resolved yet; false: only the resolved ones.",
        widget=forms.Select(choices=[("", "Resolved or not"), ("true", "Unresolved only"), ("false", "Resolved only")]),
    )
    month = MonthFilter(field_name="detected_at", label="Detected in (month)")

    class Meta:
        model = Incident
        fields = ["pipeline", "severity", "status", "unresolved", "month"]

    def filter_unresolved(self, queryset, name, value: bool):
        # `unresolved()` excludes the resolved: the very predicate of the partial index `incidents_inc_unresolved_det`.
        return queryset.unresolved() if value else queryset.filter(status=IncidentStatus.RESOLVED)


class PipelineSearchFilter(django_filters.CharFilter):
    """A pipeline typed on a page: its exact slug (the runbook page links with it), else part of its name or slug.

    A text box rather than a menu: a menu of every pipeline would weigh on every page at a thousand pipelines.
    """

    def filter(self, queryset, value: str):
        value = value.strip()
        if not value:
            return queryset
        exact = Pipeline.objects.filter(slug=value)
        if exact.exists():
            return queryset.filter(pipeline__in=exact)
        return queryset.filter(pipeline__in=Pipeline.objects.search_name(value))


class IncidentPageFilterSet(IncidentFilterSet):
    """`/incidents/`: the API's filters, with the pipeline typed as text instead of chosen from every pipeline."""

    pipeline = PipelineSearchFilter(
        label="Pipeline",
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "slug or part of its name"}),
    )


class CommunicationFilterSet(django_filters.FilterSet):
    """Stakeholder messages by pipeline, incident or delivery day (`/api/communications/`)."""

    pipeline = PipelineSlugFilter(label="Pipeline")
    # Typed like the pipeline: the browsable API renders this form, and a menu would list every incident.
    incident = django_filters.ModelChoiceFilter(
        queryset=Incident.objects.all(), label="Incident (id)", widget=forms.TextInput(attrs={"placeholder": "id"})
    )
    month = MonthFilter(field_name="sent_at", label="Sent in (month)")

    class Meta:
        model = Communication
        fields = ["pipeline", "incident", "day", "channel", "month"]
