from rest_framework import serializers

from pipelines.models import Pipeline, Run


class CommonIssueSerializer(serializers.Serializer):
    text = serializers.CharField()
    known_issue = serializers.BooleanField(default=False)


class DelayRuleSerializer(serializers.Serializer):
    contact = serializers.CharField(source="contact.name")
    organisation = serializers.CharField(source="contact.organisation")
    days_after_deadline = serializers.IntegerField()
    data_description = serializers.CharField()


class PipelineSerializer(serializers.ModelSerializer):
    """A pipeline and its runbook. Managers may edit the schedule and the runbook fields; the rest comes
    from the plan and the admin."""

    url = serializers.HyperlinkedIdentityField(view_name="api:pipeline-detail", lookup_field="slug")
    runbook_url = serializers.CharField(source="get_absolute_url", read_only=True)
    primary_owner = serializers.CharField(source="primary_owner.user.username", read_only=True, allow_null=True)
    secondary_owner = serializers.CharField(source="secondary_owner.user.username", read_only=True, allow_null=True)
    downstream_team = serializers.CharField(source="critical_downstream_team.name", read_only=True, allow_null=True)
    depends_on = serializers.SlugRelatedField(many=True, read_only=True, slug_field="slug")
    dependents = serializers.SlugRelatedField(many=True, read_only=True, slug_field="slug")
    common_issues = serializers.ListField(child=CommonIssueSerializer(), required=False)
    delay_rules = DelayRuleSerializer(many=True, read_only=True)
    critical_fields = serializers.ListField(child=serializers.CharField(), required=False)
    column_aliases = serializers.ListField(child=serializers.CharField(), required=False)

    class Meta:
        model = Pipeline
        fields = [
            "url", "slug", "name", "runbook_url", "description", "common_issues", "standard_procedures",
            "column_aliases", "primary_owner", "secondary_owner", "downstream_team", "depends_on", "dependents",
            "schedule", "critical_fields", "delay_rules",
        ]  # fmt: skip
        read_only_fields = ["slug", "name"]


class RunSerializer(serializers.ModelSerializer):
    """A pipeline run as posted by the orchestrator; `pipeline` is the pipeline's slug."""

    pipeline = serializers.SlugRelatedField(slug_field="slug", queryset=Pipeline.objects.all())
    records_total = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    records_dropped = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    records_invalid = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    critical_nulls = serializers.IntegerField(min_value=0, required=False, allow_null=True)

    class Meta:
        model = Run
        fields = [
            "id", "pipeline", "external_id", "scheduled_for", "started_at", "finished_at", "status",
            "data_available_at", "records_total", "records_dropped", "records_invalid", "critical_nulls",
            "received_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["received_at", "updated_at"]
        # Upsert by (pipeline, external_id): the unique-together check would refuse a re-sent run.
        validators = []
