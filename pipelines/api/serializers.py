from rest_framework import serializers

from oncall.api.serializers import MemberUsernameField
from oncall.api.validation import ValidatedModelSerializer
from oncall.models import TeamMember
from pipelines.models import DownstreamTeam, Pipeline, Run
from pipelines.services import pipeline_runbook_update


class CommonIssueSerializer(serializers.Serializer):
    text = serializers.CharField()
    known_issue = serializers.BooleanField(default=False)


class DelayRuleSerializer(serializers.Serializer):
    contact = serializers.CharField(source="contact.name")
    organisation = serializers.CharField(source="contact.organisation")
    days_after_deadline = serializers.IntegerField()
    data_description = serializers.CharField()


class PipelineSerializer(ValidatedModelSerializer):
    """A pipeline and its runbook. Its owners and the managers edit the runbook fields and the schedule;
    managers also the owners and the downstream team; the name, dependencies and delay rules come from
    the plan and the admin."""

    url = serializers.HyperlinkedIdentityField(view_name="api:pipeline-detail", lookup_field="slug")
    runbook_url = serializers.CharField(source="get_absolute_url", read_only=True)
    # All members: the service says which have left the team.
    # Nullable as read (a pipeline may lack one); the service refuses to remove it.
    primary_owner = MemberUsernameField(
        queryset=TeamMember.objects.select_related("user"), required=False, allow_null=True, help_text="Managers only."
    )
    secondary_owner = MemberUsernameField(
        queryset=TeamMember.objects.select_related("user"), required=False, allow_null=True, help_text="Managers only."
    )
    downstream_team = serializers.SlugRelatedField(
        source="critical_downstream_team",
        slug_field="name",
        queryset=DownstreamTeam.objects.all(),
        required=False,
        allow_null=True,
        help_text="The critical downstream team's name; managers only.",
    )
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

    def update(self, instance, validated_data):
        fields = dict(validated_data)
        if "common_issues" in fields:
            fields["common_issues"] = [dict(issue) for issue in fields["common_issues"]]
        return pipeline_runbook_update(pipeline=instance, actor=self.context["request"].user, **fields)


class PipelineSlugField(serializers.SlugRelatedField):
    """A pipeline by its slug; a batch of runs finds each pipeline once (the view puts them in the context)."""

    def to_internal_value(self, data):
        known = self.context.get("pipelines", {})
        if isinstance(data, str) and data in known:
            return known[data]
        return super().to_internal_value(data)


class RunSerializer(serializers.ModelSerializer):
    """A pipeline run as posted by the orchestrator; `pipeline` is the pipeline's slug."""

    pipeline = PipelineSlugField(slug_field="slug", queryset=Pipeline.objects.all())
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


class RunBatchItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    pipeline = serializers.CharField(help_text="The pipeline's slug.")
    external_id = serializers.CharField()
    created = serializers.BooleanField(help_text="False when a re-sent run updated the stored one.")


class RunBatchSerializer(serializers.Serializer):
    """What a backfill stored: how many runs were new, how many updated, and each run in the order sent."""

    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    runs = RunBatchItemSerializer(many=True)
