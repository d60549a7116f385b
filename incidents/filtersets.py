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
    """A pipeline chosen by its slug, the name runbook URLs and the API use."""

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", Pipeline.objects.order_by("name"))
        kwargs.setdefault("to_field_name", "slug")
        kwargs.setdefault("empty_label", "Every pipeline")
        super().__init__(**kwargs)


class IncidentFilterSet(django_filters.FilterSet):
    """Incident filters, shared by `/incidents/` and `/api/incidents/`."""

    pipeline = PipelineSlugFilter(label="Pipeline")
    severity = django_filters.ChoiceFilter(choices=Severity.choices, empty_label="Any severity")
    status = django_filters.ChoiceFilter(choices=IncidentStatus.choices, empty_label="Any status")
    month = MonthFilter(field_name="detected_at", label="Detected in (month)")

    class Meta:
        model = Incident
        fields = ["pipeline", "severity", "status", "month"]


class CommunicationFilterSet(django_filters.FilterSet):
    """Stakeholder messages by pipeline, incident or delivery day (`/api/communications/`)."""

    pipeline = PipelineSlugFilter(label="Pipeline")
    month = MonthFilter(field_name="sent_at", label="Sent in (month)")

    class Meta:
        model = Communication
        fields = ["pipeline", "incident", "day", "channel", "month"]
