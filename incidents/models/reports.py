from datetime import time, timedelta
from decimal import Decimal
from zoneinfo import available_timezones

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from oncall.history import track, tracked_history
from oncall.models import TeamMember
from pipelines.models import Pipeline

from ..choices import Dimension


def default_critical_fields() -> list[str]:
    return ["transaction_id", "date", "amount"]


# Upper bounds of what a manager may type: beyond them the figure means nothing and the deadline
# arithmetic of every incident page would run off the calendar.
MAX_DELAY_THRESHOLD = timedelta(days=7)
MAX_ACKNOWLEDGE_MINUTES = 5 * 8 * 60  # a business week
MAX_RESOLUTION = timedelta(days=30)


class SlaPolicy(models.Model):
    """The team's service level agreement; one row, filled from the maintenance plan and editable by managers."""

    availability_target = models.DecimalField(
        max_digits=6, decimal_places=3, default=Decimal("99.5"), help_text="Percent of scheduled runs per month."
    )
    deadline = models.TimeField(default=time(8, 0), help_text="Data available by this time each business day.")
    deadline_timezone = models.CharField(max_length=64, default="UTC")
    delay_threshold = models.DurationField(
        default=timedelta(hours=1),
        validators=[MinValueValidator(timedelta(0)), MaxValueValidator(MAX_DELAY_THRESHOLD)],
        help_text="Delays longer than this are communicated to all stakeholders (at most 7 days).",
    )
    bad_records_pct = models.DecimalField(
        max_digits=6, decimal_places=3, default=Decimal("0.1"), help_text="Most records dropped or invalid per run (%)."
    )
    critical_fields = models.JSONField(default=default_critical_fields)
    acknowledge_minutes = models.PositiveSmallIntegerField(
        default=15,
        validators=[MaxValueValidator(MAX_ACKNOWLEDGE_MINUTES)],
        help_text="Critical incidents acknowledged within this many business minutes (at most 2400).",
    )
    resolution = models.DurationField(
        default=timedelta(hours=3),
        validators=[MinValueValidator(timedelta(0)), MaxValueValidator(MAX_RESOLUTION)],
        help_text="Workaround or fix within this long of detection, wall time (at most 30 days).",
    )
    business_opens = models.TimeField(default=time(9, 0))
    business_closes = models.TimeField(default=time(17, 0))

    history = tracked_history()

    class Meta:
        verbose_name = "SLA policy"
        verbose_name_plural = "SLA policy"
        constraints = [
            models.CheckConstraint(
                condition=Q(availability_target__gte=0, availability_target__lte=100),
                name="%(app_label)s_%(class)s_target_is_a_percentage",
            ),
            models.CheckConstraint(
                condition=Q(bad_records_pct__gte=0, bad_records_pct__lte=100),
                name="%(app_label)s_%(class)s_bad_records_is_a_percentage",
            ),
            models.CheckConstraint(
                condition=Q(business_closes__gt=models.F("business_opens")),
                name="%(app_label)s_%(class)s_business_hours_ordered",
            ),
            models.CheckConstraint(
                condition=Q(delay_threshold__gte=timedelta(0), delay_threshold__lte=MAX_DELAY_THRESHOLD),
                name="%(app_label)s_%(class)s_delay_threshold_bounded",
            ),
            models.CheckConstraint(
                condition=Q(acknowledge_minutes__lte=MAX_ACKNOWLEDGE_MINUTES),
                name="%(app_label)s_%(class)s_acknowledge_minutes_bounded",
            ),
            models.CheckConstraint(
                condition=Q(resolution__gte=timedelta(0), resolution__lte=MAX_RESOLUTION),
                name="%(app_label)s_%(class)s_resolution_bounded",
            ),
        ]

    def __str__(self) -> str:
        return f"SLA: {self.availability_target}% availability, data by {self.deadline:%H:%M} {self.deadline_timezone}"

    def clean(self):
        errors = {}
        if self.deadline_timezone not in available_timezones():
            errors["deadline_timezone"] = f"“{self.deadline_timezone}” is not a time zone name such as UTC."
        if self.business_opens and self.business_closes and self.business_closes <= self.business_opens:
            errors["business_closes"] = "Business hours must close after they open."
        if errors:
            raise ValidationError(errors)

    @classmethod
    def current(cls) -> "SlaPolicy":
        """The policy in force (created with the plan's defaults if nobody has stored one yet)."""
        policy = cls.objects.order_by("pk").first()
        return policy if policy is not None else cls.objects.create()


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


track("sla_policy", SlaPolicy)
track("sla_review", SlaReview, label_field="month")
