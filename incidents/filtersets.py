import re
from datetime import UTC, date, datetime

import django_filters
from django import forms
from drf_spectacular.utils import extend_schema_field

from pipelines.models import Pipeline

from .choices import IncidentStatus, Severity
from .models import Communication, Incident

MONTH_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")
# How the API documents a month, in a query or a response.
MONTH_SCHEMA = {"type": "string", "pattern": MONTH_PATTERN.pattern, "example": "2026-11"}


class MonthField(forms.CharField):
    """A calendar month typed as YYYY-MM, cleaned to its first day."""

    widget = forms.TextInput(attrs={"type": "month", "pattern": r"\d{4}-\d{2}", "placeholder": "YYYY-MM"})

    def to_python(self, value) -> date | None:
        value = super().to_python(value).strip()
        if not value:
            return None
        match = MONTH_PATTERN.match(value)
        if match is None or not (1 <= int(match[2]) <= 12) or int(match[1]) < 1:
            raise forms.ValidationError("Enter a month as YYYY-MM, e.g. 2026-11.")
        return date(int(match[1]), int(match[2]), 1)


@extend_schema_field(MONTH_SCHEMA)
class MonthFilter(django_filters.Filter):
    """Rows whose `field_name` falls in the calendar month (UTC), so it matches the monthly SLA review."""

    field_class = MonthField

    def filter(self, queryset, value: date | None):
        if value is None:
            return queryset
        start = datetime(value.year, value.month, 1, tzinfo=UTC)
        end = datetime(value.year + value.month // 12, value.month % 12 + 1, 1, tzinfo=UTC)
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
