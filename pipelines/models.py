from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse

from oncall.models import TeamMember

from .choices import OwnerRole, RunStatus
from .querysets import PipelineQuerySet, RunQuerySet

DEFAULT_SCHEDULE = "0 0 * * *"  # daily at midnight UTC


def default_critical_fields() -> list[str]:
    return ["transaction_id", "date", "amount"]


class DownstreamTeam(models.Model):
    """A team that consumes a pipeline's data (Profit, Growth, Price…) and the lead to escalate to."""

    name = models.CharField(max_length=100, unique=True)
    lead_name = models.CharField(max_length=150, blank=True)
    lead_email = models.EmailField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def has_lead(self) -> bool:
        return bool(self.lead_email)


class Pipeline(models.Model):
    """A data pipeline and its runbook: what it does, what goes wrong, what to do about it."""

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=200, unique=True, help_text="The runbook heading's anchor.")
    description = models.TextField(blank=True)
    common_issues = models.JSONField(
        default=list, blank=True, help_text='A list of {"text": …, "known_issue": true|false}.'
    )
    standard_procedures = models.TextField(blank=True, help_text="Markdown.")
    column_aliases = models.JSONField(default=list, blank=True)
    critical_downstream_team = models.ForeignKey(
        DownstreamTeam, on_delete=models.PROTECT, null=True, blank=True, related_name="pipelines"
    )
    depends_on = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="dependents", help_text="Upstream pipelines."
    )
    schedule = models.CharField(max_length=100, default=DEFAULT_SCHEDULE, help_text="Cron expression, UTC.")
    critical_fields = models.JSONField(default=default_critical_fields, blank=True)
    expected_duration = models.DurationField(
        null=True, blank=True, help_text="A run still running after this long is overdue and opens an incident."
    )

    objects = PipelineQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("pipelines:runbook-detail", kwargs={"slug": self.slug})

    def clean(self):
        from .schedules import is_valid_schedule

        if not is_valid_schedule(self.schedule):
            raise ValidationError({"schedule": f"“{self.schedule}” is not a valid cron expression."})

    def owner(self, role: str) -> TeamMember | None:
        """The owner in `role`, read from prefetched ownerships when there are any."""
        for ownership in self.ownerships.all():
            if ownership.role == role:
                return ownership.member
        return None

    @property
    def primary_owner(self) -> TeamMember | None:
        return self.owner(OwnerRole.PRIMARY)

    @property
    def secondary_owner(self) -> TeamMember | None:
        return self.owner(OwnerRole.SECONDARY)


class Ownership(models.Model):
    """A member's responsibility for a pipeline: one primary, at most one secondary, never the same person."""

    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="ownerships")
    member = models.ForeignKey(TeamMember, on_delete=models.PROTECT, related_name="ownerships")
    role = models.CharField(max_length=10, choices=OwnerRole.choices)

    class Meta:
        ordering = ["pipeline", "role"]
        constraints = [
            models.UniqueConstraint(fields=["pipeline", "role"], name="%(app_label)s_%(class)s_one_per_role"),
            models.UniqueConstraint(fields=["pipeline", "member"], name="%(app_label)s_%(class)s_distinct_people"),
            models.CheckConstraint(
                condition=models.Q(role__in=OwnerRole.values), name="%(app_label)s_%(class)s_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} — {self.get_role_display()} of {self.pipeline}"


class Contact(models.Model):
    """Someone outside the team to contact about a pipeline, e.g. Ray Charley in Sales."""

    name = models.CharField(max_length=150, unique=True)
    organisation = models.CharField(max_length=150, blank=True, help_text='e.g. "Sales"')
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=50, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.organisation})" if self.organisation else self.name


class DelayRule(models.Model):
    """“Contact X if data isn't received N days after the expected deadline.”"""

    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="delay_rules")
    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="delay_rules")
    days_after_deadline = models.PositiveSmallIntegerField()
    data_description = models.CharField(max_length=200, blank=True, help_text='e.g. "sales data"')

    class Meta:
        ordering = ["pipeline", "days_after_deadline"]
        constraints = [
            models.UniqueConstraint(fields=["pipeline", "contact"], name="%(app_label)s_%(class)s_one_per_contact"),
            models.CheckConstraint(
                condition=models.Q(days_after_deadline__gte=1), name="%(app_label)s_%(class)s_days_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"Contact {self.contact} if {self.data_description or 'data'} is {self.days_after_deadline} days late"


class Run(models.Model):
    """One run of a pipeline as the pipeline reported it; re-sent runs update the same row."""

    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="runs")
    external_id = models.CharField(max_length=200, help_text="The orchestrator's run id (Airflow run_id, ADF runId…).")
    scheduled_for = models.DateTimeField(help_text="The schedule occurrence this run serves.")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=RunStatus.choices)
    data_available_at = models.DateTimeField(null=True, blank=True)
    records_total = models.PositiveBigIntegerField(null=True, blank=True)
    records_dropped = models.PositiveBigIntegerField(null=True, blank=True)
    records_invalid = models.PositiveBigIntegerField(null=True, blank=True)
    critical_nulls = models.PositiveBigIntegerField(null=True, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RunQuerySet.as_manager()

    class Meta:
        ordering = ["-scheduled_for", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["pipeline", "external_id"], name="%(app_label)s_%(class)s_one_per_external_id"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=RunStatus.values), name="%(app_label)s_%(class)s_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(finished_at__isnull=True)
                | models.Q(started_at__isnull=True)
                | models.Q(finished_at__gte=models.F("started_at")),
                name="%(app_label)s_%(class)s_finishes_after_start",
            ),
        ]
        indexes = [models.Index(fields=["pipeline", "scheduled_for"])]

    def __str__(self) -> str:
        return f"{self.pipeline} {self.external_id} ({self.get_status_display()})"

    def clean(self):
        errors = {}
        if self.started_at and self.finished_at and self.finished_at < self.started_at:
            errors["finished_at"] = "A run cannot finish before it started."
        if self.status == RunStatus.RUNNING and self.finished_at:
            errors["finished_at"] = "A running run has no finish time yet."
        for field in ("records_dropped", "records_invalid"):
            value = getattr(self, field)
            if value is not None and self.records_total is not None and value > self.records_total:
                errors[field] = "Cannot exceed records_total."
        if errors:
            raise ValidationError(errors)
