from datetime import datetime
from urllib.parse import urlsplit

from django.db import models
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from incidents.choices import Channel
from incidents.models import ChatChannel, Communication, Incident, IncidentNote
from incidents.services import Deadlines, incident_deadlines_for
from oncall.api.serializers import MemberUsernameField
from oncall.api.validation import ValidatedModelSerializer
from oncall.models import TeamMember
from oncall.permissions import is_manager
from pipelines.models import Pipeline

# Alertmanager's own words for an alert's state (webhook version 4).
ALERT_STATUSES = ["firing", "resolved"]

# The browsable API's forms take a pipeline or an incident as typed text: a menu would list every one of them.
TYPED = {"base_template": "input.html"}


class IncidentNoteSerializer(serializers.ModelSerializer):
    author = MemberUsernameField(read_only=True)

    class Meta:
        model = IncidentNote
        fields = ["at", "author", "text", "status_change"]
        read_only_fields = fields


class IncidentListSerializer(serializers.ListSerializer):
    """Reads the team calendar once for the whole page instead of once per incident."""

    def to_representation(self, data):
        incidents = list(data.all() if isinstance(data, models.Manager) else data)
        self.child.known_deadlines.update(incident_deadlines_for(incidents))
        return super().to_representation(incidents)


class IncidentSerializer(serializers.ModelSerializer):
    """An incident and its timeline. Posting one opens it: the on-call member and the owners are emailed."""

    pipeline = serializers.SlugRelatedField(slug_field="slug", queryset=Pipeline.objects.all(), style=TYPED)
    assignee = MemberUsernameField(
        queryset=TeamMember.objects.active().select_related("user"),
        required=False,
        allow_null=True,
        help_text="Username; empty: whoever is on call at `detected_at`.",
    )
    detected_at = serializers.DateTimeField(required=False, help_text="Default: now. Never in the future.")
    acknowledged_by = MemberUsernameField(read_only=True, allow_null=True)
    mitigated_by = MemberUsernameField(read_only=True, allow_null=True)
    resolved_by = MemberUsernameField(read_only=True, allow_null=True)
    acknowledge_deadline = serializers.SerializerMethodField(help_text="Critical incidents only (business minutes).")
    resolve_deadline = serializers.SerializerMethodField(help_text="Critical incidents only: mitigate or resolve by.")
    notes = IncidentNoteSerializer(many=True, read_only=True)

    class Meta:
        model = Incident
        list_serializer_class = IncidentListSerializer
        fields = [
            "id", "pipeline", "title", "description", "severity", "status", "detected_at", "assignee",
            "acknowledged_at", "acknowledged_by", "mitigated_at", "mitigated_by", "resolved_at", "resolved_by",
            "acknowledge_deadline", "resolve_deadline", "notes",
        ]  # fmt: skip
        read_only_fields = ["status", "acknowledged_at", "mitigated_at", "resolved_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.known_deadlines: dict[int, Deadlines] = {}

    def deadlines(self, incident: Incident) -> Deadlines:
        if incident.pk not in self.known_deadlines:
            self.known_deadlines.update(incident_deadlines_for([incident]))
        return self.known_deadlines[incident.pk]

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_acknowledge_deadline(self, incident: Incident) -> str | None:
        return self.as_datetime(self.deadlines(incident).acknowledge)

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_resolve_deadline(self, incident: Incident) -> str | None:
        return self.as_datetime(self.deadlines(incident).resolve)

    @staticmethod
    def as_datetime(value: datetime | None) -> str | None:
        return serializers.DateTimeField().to_representation(value) if value else None


class IncidentStepSerializer(serializers.Serializer):
    at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="When it happened; default now. Never in the future."
    )
    note = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=IncidentNote._meta.get_field("text").max_length
    )


class CommunicationSerializer(serializers.ModelSerializer):
    """A message to stakeholders about an incident or about a pipeline's delivery day."""

    pipeline = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Pipeline.objects.all(),
        required=False,
        help_text="Default: the incident's.",
        style=TYPED,
    )
    incident = serializers.PrimaryKeyRelatedField(
        queryset=Incident.objects.all(), required=False, allow_null=True, help_text="The incident's id.", style=TYPED
    )
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.EMAIL)
    sent_at = serializers.DateTimeField(required=False, help_text="Default: now. Never in the future.")
    sent_by = MemberUsernameField(read_only=True)

    class Meta:
        model = Communication
        fields = [
            "id", "pipeline", "incident", "day", "audience", "channel", "message", "sent_at", "sent_by", "automatic",
        ]  # fmt: skip
        read_only_fields = ["automatic"]
        # The one unique constraint covers only the portal's own automatic notices, which this endpoint never
        # writes; left in, DRF would make `pipeline` and `day` required for every message.
        validators = []

    def validate(self, attrs: dict) -> dict:
        if "pipeline" not in attrs:
            incident = attrs.get("incident")
            if incident is None:
                raise serializers.ValidationError({"pipeline": "This field is required without an incident."})
            attrs["pipeline"] = incident.pipeline
        return attrs


class ChatChannelSerializer(ValidatedModelSerializer):
    """A chat channel pages are posted to; `pipeline` (a slug) narrows it to one pipeline's pages."""

    pipeline = serializers.SlugRelatedField(
        slug_field="slug", queryset=Pipeline.objects.all(), required=False, allow_null=True, style=TYPED
    )

    class Meta:
        model = ChatChannel
        fields = ["id", "name", "kind", "url", "pipeline", "active"]
        extra_kwargs = {"url": {"help_text": "Managers read it whole; others read only its scheme and host."}}

    def to_representation(self, channel):
        """A webhook URL is a credential (whoever holds it posts as the portal): only managers read it whole."""
        shown = super().to_representation(channel)
        request = self.context.get("request")
        if request is None or not is_manager(request.user):
            shown["url"] = url_without_secrets(shown["url"])
        return shown


def url_without_secrets(url: str) -> str:
    """`https://hooks.slack.com/services/T0/B0/xyz` → `https://hooks.slack.com/`: where it goes, not how."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}/"  # the host and port, without user and password


class AlertmanagerAlertSerializer(serializers.Serializer):
    """One alert of Alertmanager's webhook (Grafana's contact point sends the same)."""

    status = serializers.ChoiceField(choices=ALERT_STATUSES)
    labels = serializers.DictField(child=serializers.CharField(allow_blank=True))
    annotations = serializers.DictField(child=serializers.CharField(allow_blank=True), required=False, default=dict)
    startsAt = serializers.DateTimeField()  # noqa: N815 (the payload's names)
    endsAt = serializers.CharField(required=False, allow_blank=True, allow_null=True)  # noqa: N815
    fingerprint = serializers.CharField(required=False, allow_blank=True, default="")

    def validate_endsAt(self, value):  # noqa: N802
        """Firing alerts carry the zero time ("0001-01-01T00:00:00Z"): that means "not ended"."""
        if not value or value.startswith("0001-"):
            return None
        parsed = serializers.DateTimeField().to_internal_value(value)
        return parsed


class AlertmanagerWebhookSerializer(serializers.Serializer):
    """Alertmanager's webhook payload, version 4."""

    version = serializers.CharField()
    status = serializers.ChoiceField(choices=ALERT_STATUSES, required=False)
    alerts = AlertmanagerAlertSerializer(many=True, allow_empty=True)

    def validate_version(self, value: str) -> str:
        if value != "4":
            raise serializers.ValidationError("Only version 4 of Alertmanager's webhook payload is understood.")
        return value
