from datetime import date

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from incidents.filtersets import MONTH_SCHEMA
from oncall.api.validation import ValidatedModelSerializer
from oncall.months import parse_month
from pipelines.models import SlaPolicy

from ..models import SlaEscalation, SlaReport
from ..services import SLA_FIGURES, sla_policy_update


@extend_schema_field(MONTH_SCHEMA)
class MonthField(serializers.Field):
    """A calendar month as YYYY-MM, the way `?month=` takes it."""

    def to_representation(self, value: date) -> str:
        return f"{value:%Y-%m}"

    def to_internal_value(self, data) -> date:
        try:
            return parse_month(str(data))
        except ValueError as error:
            raise serializers.ValidationError(str(error)) from None


class SlaMonthQuerySerializer(serializers.Serializer):
    """`?month=YYYY-MM`, required or optional depending on the endpoint."""

    month = MonthField(help_text="YYYY-MM")

    def __init__(self, *args, required: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["month"].required = required


class SlaReportSerializer(serializers.ModelSerializer):
    """A pipeline's figures for the month (the signed-off ones once the month is reviewed)."""

    pipeline = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    month = MonthField(read_only=True)

    class Meta:
        model = SlaReport
        fields = ["pipeline", "month", *SLA_FIGURES, "final", "changed_since_review"]
        read_only_fields = fields


class SlaEscalationSerializer(serializers.ModelSerializer):
    pipeline = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    month = MonthField(read_only=True)
    recipients = serializers.ListField(child=serializers.EmailField(), read_only=True)

    class Meta:
        model = SlaEscalation
        fields = ["pipeline", "month", "dimension", "created_at", "recipients", "missing"]
        read_only_fields = fields


class SlaPolicySerializer(ValidatedModelSerializer):
    """The SLA's numbers; changing them affects the next computation, not the stored months."""

    critical_fields = serializers.ListField(child=serializers.CharField(max_length=100), allow_empty=True)

    class Meta:
        model = SlaPolicy
        fields = [
            "availability_target",
            "deadline",
            "deadline_timezone",
            "delay_threshold",
            "bad_records_pct",
            "critical_fields",
            "acknowledge_minutes",
            "resolution",
            "business_opens",
            "business_closes",
        ]

    def update(self, instance: SlaPolicy, validated_data: dict) -> SlaPolicy:
        return sla_policy_update(values=validated_data)
