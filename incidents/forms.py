from datetime import UTC

from django import forms
from django.utils import timezone

from oncall.forms import ServiceErrorsMixin
from oncall.models import TeamMember
from pipelines.models import Pipeline

from .choices import Channel, Severity
from .models import Communication, Incident, IncidentNote


class UtcDateTimeInput(forms.DateTimeInput):
    """A browser date-and-time picker; the portal reads and shows its value in UTC."""

    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")

    def format_value(self, value):
        if hasattr(value, "astimezone") and timezone.is_aware(value):
            value = value.astimezone(UTC)
        return super().format_value(value)


class UtcDateTimeField(forms.DateTimeField):
    """A date and time typed without a zone, read as UTC whatever zone the request runs in.

    The pages print every time in UTC, so a time copied from them means the same instant here.
    """

    widget = UtcDateTimeInput

    def to_python(self, value):
        with timezone.override(UTC):
            return super().to_python(value)


class IncidentOpenForm(ServiceErrorsMixin, forms.Form):
    """`/incidents/new/`: what `incident_open` needs; an empty assignee means whoever is on call at detection."""

    pipeline = forms.ModelChoiceField(
        queryset=Pipeline.objects.order_by("name"), to_field_name="slug", empty_label="Choose a pipeline"
    )
    title = forms.CharField(max_length=200)
    severity = forms.ChoiceField(choices=Severity.choices, initial=Severity.CRITICAL)
    detected_at = UtcDateTimeField(label="Detected at (UTC)", initial=timezone.now)
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        max_length=Incident._meta.get_field("description").max_length,
    )
    assignee = forms.ModelChoiceField(
        queryset=TeamMember.objects.active().order_by("name"),
        required=False,
        empty_label="Whoever is on call at detection",
    )


class IncidentStepForm(ServiceErrorsMixin, forms.Form):
    """Acknowledge, mitigate or resolve: now, or at an earlier time recorded after the fact."""

    service_error_fields = {"at": "when"}

    when = UtcDateTimeField(
        label="When (UTC)", required=False, help_text="Leave empty for now; fill in to record it after the fact."
    )
    note = forms.CharField(label="Note", required=False, max_length=IncidentNote._meta.get_field("text").max_length)


class IncidentNoteForm(ServiceErrorsMixin, forms.Form):
    text = forms.CharField(
        label="Note",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=IncidentNote._meta.get_field("text").max_length,
    )


class CommunicationForm(ServiceErrorsMixin, forms.Form):
    """A message someone sent stakeholders about the incident."""

    audience = forms.CharField(max_length=300, help_text="Who was told, e.g. “Profit team, owners”.")
    channel = forms.ChoiceField(choices=Channel.choices, initial=Channel.EMAIL)
    message = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), max_length=Communication._meta.get_field("message").max_length
    )
    sent_at = UtcDateTimeField(label="Sent at (UTC)", required=False, help_text="Leave empty for now.")
