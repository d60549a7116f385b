from datetime import time, timedelta
from decimal import Decimal
from zoneinfo import available_timezones

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse

from oncall.history import track, tracked_history
from oncall.models import TeamMember
from oncall.years import END_INSTANT, FIRST_INSTANT, validate_supported_date

from .choices import OwnerRole, RunStatus
from .querysets import PipelineQuerySet, RunQuerySet
from .schedules import validate_schedule

DEFAULT_SCHEDULE = "0 0 * * *"  # daily at midnight UTC

# A run's times lie near the occurrence it serves: a manual trigger may start a little early, and a
# run of a yearly schedule or a late retry finishes long after; year 1 or 9999 is a client's bug.
RUN_EARLIEST = timedelta(days=1)  # before scheduled_for
RUN_LATEST = timedelta(days=800)  # after scheduled_for
RUN_TIME_FIELDS = ("started_at", "finished_at", "data_available_at")


# Times of day are defaults through functions: Django warns of a fixed time default (fields.W161) when its
# check runs within seconds of that time of day, which would fail `check --fail-level WARNING` then.
def default_deadline() -> time:
    return time(8, 0)


def default_business_opens() -> time:
    return time(9, 0)


def default_business_closes() -> time:
    return time(17, 0)


def default_critical_fields() -> list[str]:
    return ["transaction_id", "date", "amount"]


def common_issues_well_formed(issues) -> bool:
    """Common issues are stored as a list of {"text": str, "known_issue": bool}: the shape the runbook page reads."""
    return isinstance(issues, list) and all(
        isinstance(issue, dict)
        and set(issue) == {"text", "known_issue"}
        and isinstance(issue["text"], str)
        and issue["text"].strip()
        and isinstance(issue["known_issue"], bool)
        for issue in issues
    )


class DownstreamTeam(models.Model):
    """A team that consumes a pipeline's data (Profit, Growth, Price…) and the lead to escalate to."""

    name = models.CharField(max_length=100, unique=True)
    lead_name = models.CharField(max_length=150, blank=True)
    lead_email = models.EmailField(blank=True)

    history = tracked_history()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


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
    schedule = models.CharField(
        max_length=100,
        default=DEFAULT_SCHEDULE,
        validators=[validate_schedule],
        help_text="Cron expression of five fields, UTC; runs at least once a year.",
    )
    critical_fields = models.JSONField(default=default_critical_fields, blank=True)
    expected_duration = models.DurationField(
        null=True, blank=True, help_text="A run still running after this long is overdue and opens an incident."
    )

    history = tracked_history()

    objects = PipelineQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("pipelines:runbook-detail", kwargs={"slug": self.slug})

    def clean(self):
        errors = {}
        if not common_issues_well_formed(self.common_issues):
            errors["common_issues"] = 'Each issue is {"text": "…", "known_issue": true or false}, with text.'
        for field in ("critical_fields", "column_aliases"):
            value = getattr(self, field)
            if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
                errors[field] = "A list of names, none of them empty."
        if errors:
            raise ValidationError(errors)

    def owners_by_role(self) -> dict[str, TeamMember]:
        """Each role's owner, read from prefetched ownerships when there are any."""
        owners: dict[str, TeamMember] = {}
        for ownership in self.ownerships.all():
            owners.setdefault(ownership.role, ownership.member)
        return owners

    def owner(self, role: str) -> TeamMember | None:
        return self.owners_by_role().get(role)

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

    history = tracked_history()

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

    history = tracked_history()

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

    history = tracked_history()

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

    # No index of its own: (pipeline, external_id) and (pipeline, scheduled_for) below lead with it, and
    # one index fewer to keep is one less write for every run posted.
    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="runs", db_index=False)
    external_id = models.CharField(max_length=200, help_text="The orchestrator's run id (Airflow run_id, ADF runId…).")
    scheduled_for = models.DateTimeField(
        help_text="The schedule occurrence this run serves.", validators=[validate_supported_date]
    )
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
            models.CheckConstraint(
                condition=models.Q(data_available_at__isnull=True)
                | models.Q(started_at__isnull=True)
                | models.Q(data_available_at__gte=models.F("started_at")),
                name="%(app_label)s_%(class)s_data_after_start",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=RunStatus.SUCCESS) | models.Q(finished_at__isnull=False),
                name="%(app_label)s_%(class)s_success_has_finish",
            ),
            models.CheckConstraint(
                condition=models.Q(scheduled_for__gte=FIRST_INSTANT, scheduled_for__lt=END_INSTANT),
                name="%(app_label)s_%(class)s_scheduled_in_supported_years",
            ),
            *(
                models.CheckConstraint(
                    condition=models.Q(**{f"{field}__isnull": True})
                    | models.Q(
                        **{
                            f"{field}__gte": models.F("scheduled_for") - RUN_EARLIEST,
                            f"{field}__lte": models.F("scheduled_for") + RUN_LATEST,
                        }
                    ),
                    name=f"%(app_label)s_%(class)s_{field}_near_schedule",
                )
                for field in RUN_TIME_FIELDS
            ),
        ]
        # `/api/runs/` pages by (scheduled_for, id), newest first, and filters by pipeline, status and time.
        indexes = [
            models.Index(fields=["pipeline", "scheduled_for"], name="pipelines_run_pipeline_sched"),
            models.Index(fields=["scheduled_for", "id"], name="pipelines_run_scheduled_id"),
            models.Index(fields=["status", "scheduled_for", "id"], name="pipelines_run_status_sched"),
        ]

    def __str__(self) -> str:
        return f"{self.pipeline} {self.external_id} ({self.get_status_display()})"

    def clean(self):
        errors = {}
        if self.started_at and self.finished_at and self.finished_at < self.started_at:
            errors["finished_at"] = "A run cannot finish before it started."
        if self.status == RunStatus.RUNNING and self.finished_at:
            errors["finished_at"] = "A running run has no finish time yet."
        if self.status == RunStatus.SUCCESS and not self.finished_at:
            errors["finished_at"] = "A successful run needs its finish time."
        if self.started_at and self.data_available_at and self.data_available_at < self.started_at:
            errors["data_available_at"] = "Data cannot be available before the run started."
        if self.scheduled_for:
            for field in RUN_TIME_FIELDS:
                value = getattr(self, field)
                if value and not self.scheduled_for - RUN_EARLIEST <= value <= self.scheduled_for + RUN_LATEST:
                    errors.setdefault(
                        field,
                        f"Must lie between {RUN_EARLIEST.days} day before and {RUN_LATEST.days} days after "
                        "scheduled_for.",
                    )
        for field in ("records_dropped", "records_invalid"):
            value = getattr(self, field)
            if value is not None and self.records_total is not None and value > self.records_total:
                errors[field] = "Cannot exceed records_total."
        if errors:
            raise ValidationError(errors)


class PlanImport(models.Model):
    """What one maintenance-plan import wrote, field by field (`pipelines.plan_fields`).

    The next import compares it with the portal and the new file, so that edits made in the portal
    since this import are not overwritten without being listed.
    """

    imported_at = models.DateTimeField()
    source = models.CharField(max_length=255, blank=True, help_text="The file imported, as given.")
    fields = models.JSONField(default=dict)

    class Meta:
        ordering = ["-imported_at", "-pk"]
        get_latest_by = ["imported_at", "pk"]

    def __str__(self) -> str:
        return f"Plan import of {self.source or 'a plan'} at {self.imported_at:%Y-%m-%d %H:%M}"


track("pipeline", Pipeline, label_field="name")
track("ownership", Ownership, parent=("pipeline", "pipeline"))
track("delay_rule", DelayRule, parent=("pipeline", "pipeline"))
track("downstream_team", DownstreamTeam, label_field="name")
track("contact", Contact, label_field="name")


# Upper bounds of what a manager may type: beyond them the figure means nothing and the deadline
# arithmetic of every incident page would run off the calendar.
MAX_DELAY_THRESHOLD = timedelta(days=7)
MAX_ACKNOWLEDGE_MINUTES = 5 * 8 * 60  # a business week
MAX_RESOLUTION = timedelta(days=30)


class SlaPolicy(models.Model):
    """The team's service level agreement; one row, filled from the maintenance plan and editable by managers."""

    availability_target = models.DecimalField(
        max_digits=6,
        decimal_places=3,
        default=Decimal("99.5"),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
        help_text="Percent of scheduled runs per month.",
    )
    deadline = models.TimeField(default=default_deadline, help_text="Data available by this time each business day.")
    deadline_timezone = models.CharField(max_length=64, default="UTC")
    delay_threshold = models.DurationField(
        default=timedelta(hours=1),
        validators=[MinValueValidator(timedelta(0)), MaxValueValidator(MAX_DELAY_THRESHOLD)],
        help_text="Delays longer than this are communicated to all stakeholders (at most 7 days).",
    )
    bad_records_pct = models.DecimalField(
        max_digits=6,
        decimal_places=3,
        default=Decimal("0.1"),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
        help_text="Most records dropped or invalid per run (%).",
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
    business_opens = models.TimeField(default=default_business_opens)
    business_closes = models.TimeField(default=default_business_closes)

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


track("sla_policy", SlaPolicy)
