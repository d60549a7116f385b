from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q

from oncall.history import track, tracked_history
from oncall.models import TeamMember
from pipelines.models import Pipeline

from .choices import Dimension


class SlaReport(models.Model):
    """A pipeline's SLA figures for one calendar month (UTC), and the lists behind them (`details`)."""

    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="sla_reports")
    month = models.DateField(help_text="The first day of the month.")
    scheduled_runs = models.PositiveIntegerField()
    successful_runs = models.PositiveIntegerField()
    availability_pct = models.DecimalField(max_digits=7, decimal_places=3)
    availability_ok = models.BooleanField()
    error_budget = models.IntegerField()
    error_budget_left = models.IntegerField()
    business_days = models.PositiveSmallIntegerField()
    late_days = models.PositiveSmallIntegerField()
    uncommunicated_delays = models.PositiveSmallIntegerField()
    timeliness_ok = models.BooleanField()
    checked_runs = models.PositiveIntegerField()
    quality_breaches = models.PositiveIntegerField()
    unreported_runs = models.PositiveIntegerField()
    quality_ok = models.BooleanField()
    critical_incidents = models.PositiveIntegerField()
    ack_breaches = models.PositiveIntegerField()
    resolution_breaches = models.PositiveIntegerField()
    response_ok = models.BooleanField()
    compliant = models.BooleanField()
    details = models.JSONField(default=dict)
    computed_at = models.DateTimeField()
    final = models.BooleanField(default=False, help_text="Computed after the month ended.")
    changed_since_review = models.BooleanField(default=False)
    latest = models.JSONField(
        default=dict,
        blank=True,
        help_text="Figures computed after the sign-off, when they differ from the frozen ones.",
    )

    class Meta:
        ordering = ["-month", "pipeline__name"]
        constraints = [
            models.UniqueConstraint(fields=["pipeline", "month"], name="%(app_label)s_%(class)s_one_per_month"),
            models.CheckConstraint(condition=Q(month__day=1), name="%(app_label)s_%(class)s_month_starts_on_the_1st"),
        ]
        # The dashboard reads one month of reports, and counts the compliant ones of twelve months from
        # this index alone, instead of scanning every month's reports.
        indexes = [models.Index(fields=["month", "compliant"], name="sla_slareport_month_compliant")]

    def __str__(self) -> str:
        return f"{self.pipeline} {self.month:%Y-%m}"


class SlaReview(models.Model):
    """The operations meeting's sign-off of a month: it freezes that month's figures."""

    month = models.DateField(unique=True)
    reviewer = models.ForeignKey(TeamMember, on_delete=models.PROTECT, related_name="sla_reviews")
    signed_at = models.DateTimeField()
    notes = models.TextField(blank=True, max_length=5000, validators=[MaxLengthValidator(5000)])
    action_items = models.TextField(
        blank=True, max_length=5000, validators=[MaxLengthValidator(5000)], help_text="One per line."
    )

    history = tracked_history()

    class Meta:
        ordering = ["-month"]
        constraints = [
            models.CheckConstraint(condition=Q(month__day=1), name="%(app_label)s_%(class)s_month_starts_on_the_1st"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} signed off by {self.reviewer}"


class SlaEscalation(models.Model):
    """The first breach of a dimension in a pipeline-month, and who was told (once)."""

    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="sla_escalations")
    month = models.DateField()
    dimension = models.CharField(max_length=12, choices=Dimension.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    recipients = models.JSONField(default=list, help_text="The addresses emailed.")
    missing = models.CharField(
        max_length=300, blank=True, help_text="Who should have been told but has no address: the dashboard flags it."
    )

    class Meta:
        ordering = ["-month", "pipeline__name", "dimension"]
        constraints = [
            models.UniqueConstraint(
                fields=["pipeline", "month", "dimension"], name="%(app_label)s_%(class)s_once_per_dimension"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pipeline} {self.month:%Y-%m} {self.get_dimension_display()}"


track("sla_review", SlaReview, label_field="month")
