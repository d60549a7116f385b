from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse

from oncall.models import TeamMember
from pipelines.models import Pipeline

from ..choices import Channel, IncidentStatus, Severity, SignalKind
from ..querysets import IncidentQuerySet, resolved_flag


class Incident(models.Model):
    """Something wrong with a pipeline, from detection through acknowledgement and mitigation to resolution."""

    pipeline = models.ForeignKey(
        Pipeline, on_delete=models.PROTECT, null=True, blank=True, related_name="incidents",
        help_text="Empty: a team-level incident, e.g. from a monitoring alert about no known pipeline.",
    )  # fmt: skip
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=5000, validators=[MaxLengthValidator(5000)])
    severity = models.CharField(max_length=10, choices=Severity.choices)
    status = models.CharField(max_length=12, choices=IncidentStatus.choices, default=IncidentStatus.OPEN)
    detected_at = models.DateTimeField()
    assignee = models.ForeignKey(
        TeamMember, on_delete=models.PROTECT, null=True, blank=True, related_name="assigned_incidents"
    )
    opened_by = models.ForeignKey(
        TeamMember, on_delete=models.SET_NULL, null=True, blank=True, related_name="opened_incidents"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(TeamMember, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    mitigated_at = models.DateTimeField(null=True, blank=True)
    mitigated_by = models.ForeignKey(TeamMember, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(TeamMember, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    automatic = models.BooleanField(default=False, help_text="Opened by the portal from a run, a deadline or an alert.")
    signal_count = models.PositiveIntegerField(default=0, help_text="Signals (runs, alerts) that opened or joined it.")

    objects = IncidentQuerySet.as_manager()

    class Meta:
        ordering = ["-detected_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(severity__in=Severity.values), name="%(app_label)s_%(class)s_severity_valid"
            ),
            models.CheckConstraint(
                condition=(
                    Q(
                        status=IncidentStatus.OPEN,
                        acknowledged_at__isnull=True,
                        mitigated_at__isnull=True,
                        resolved_at__isnull=True,
                    )
                    | Q(
                        status=IncidentStatus.ACKNOWLEDGED,
                        acknowledged_at__isnull=False,
                        mitigated_at__isnull=True,
                        resolved_at__isnull=True,
                    )
                    | Q(
                        status=IncidentStatus.MITIGATED,
                        acknowledged_at__isnull=False,
                        mitigated_at__isnull=False,
                        resolved_at__isnull=True,
                    )
                    | Q(status=IncidentStatus.RESOLVED, acknowledged_at__isnull=False, resolved_at__isnull=False)
                ),
                name="%(app_label)s_%(class)s_status_matches_times",
            ),
            models.CheckConstraint(
                condition=Q(acknowledged_at__isnull=True) | Q(acknowledged_at__gte=F("detected_at")),
                name="%(app_label)s_%(class)s_acknowledged_after_detection",
            ),
            models.CheckConstraint(
                condition=Q(mitigated_at__isnull=True) | Q(mitigated_at__gte=F("acknowledged_at")),
                name="%(app_label)s_%(class)s_mitigated_after_acknowledged",
            ),
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True) | Q(resolved_at__gte=F("acknowledged_at")),
                name="%(app_label)s_%(class)s_resolved_after_acknowledged",
            ),
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True)
                | Q(mitigated_at__isnull=True)
                | Q(resolved_at__gte=F("mitigated_at")),
                name="%(app_label)s_%(class)s_resolved_after_mitigated",
            ),
            models.UniqueConstraint(
                fields=["pipeline"],
                condition=Q(automatic=True) & ~Q(status=IncidentStatus.RESOLVED),
                name="%(app_label)s_%(class)s_one_open_automatic_per_pipeline",
            ),
            # The constraint above lets any number of rows without a pipeline through (NULLs differ).
            models.UniqueConstraint(
                fields=["automatic"],
                condition=Q(automatic=True, pipeline__isnull=True) & ~Q(status=IncidentStatus.RESOLVED),
                name="%(app_label)s_%(class)s_one_open_automatic_team_level",
            ),
        ]
        # `/api/incidents/` pages newest detected first by cursor: each of its filters reads one page through
        # one of these, in that order, instead of sorting every matching incident.
        indexes = [
            models.Index(fields=["status", "severity"]),
            models.Index(fields=["pipeline", "detected_at"]),
            models.Index(fields=["detected_at", "id"], name="incidents_inc_detected_id"),
            models.Index(fields=["status", "detected_at", "id"], name="incidents_inc_status_det"),
            models.Index(fields=["severity", "detected_at", "id"], name="incidents_inc_severity_det"),
            models.Index(
                fields=["detected_at", "id"],
                condition=~Q(status=IncidentStatus.RESOLVED),
                name="incidents_inc_unresolved_det",
            ),
            # The `/incidents/` page and the home board list open incidents first (`open_first()`).
            models.Index(resolved_flag(), F("detected_at").desc(), F("id").desc(), name="incidents_inc_open_first"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("incidents:incident-detail", kwargs={"pk": self.pk})

    @property
    def fixed_at(self):
        """When a workaround or a fix was in place: the resolution clock stops here."""
        times = [t for t in (self.mitigated_at, self.resolved_at) if t]
        return min(times) if times else None

    @property
    def is_open(self) -> bool:
        return self.status != IncidentStatus.RESOLVED


class IncidentNote(models.Model):
    """A line in an incident's timeline: a status change or a note someone added."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="notes")
    at = models.DateTimeField()
    author = models.ForeignKey(TeamMember, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    text = models.TextField(max_length=2000, validators=[MaxLengthValidator(2000)])
    status_change = models.CharField(max_length=12, choices=IncidentStatus.choices, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.text[:60]}"


class Communication(models.Model):
    """A message to stakeholders about an incident, or about a pipeline's delivery on a day (a delay notice)."""

    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, null=True, blank=True, related_name="communications"
    )
    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="communications")
    day = models.DateField(null=True, blank=True, help_text="The delivery day a delay notice is about (UTC).")
    audience = models.CharField(max_length=300, help_text="Who was told, e.g. “Profit team, owners”.")
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.EMAIL)
    message = models.TextField(max_length=5000, validators=[MaxLengthValidator(5000)])
    sent_at = models.DateTimeField()
    sent_by = models.ForeignKey(
        TeamMember, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", help_text="Empty: the portal."
    )
    automatic = models.BooleanField(default=False, help_text="Sent by the portal itself.")

    class Meta:
        ordering = ["-sent_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(incident__isnull=False) | Q(day__isnull=False),
                name="%(app_label)s_%(class)s_about_incident_or_day",
            ),
            models.UniqueConstraint(
                fields=["pipeline", "day"],
                condition=Q(automatic=True, day__isnull=False),
                name="%(app_label)s_%(class)s_one_automatic_notice_per_day",
            ),
        ]

    def __str__(self) -> str:
        about = f"incident #{self.incident_id}" if self.incident_id else f"{self.pipeline} on {self.day}"
        return f"To {self.audience} about {about}"

    def clean(self):
        # The database refuses it too (`about_incident_or_day`); this says which field is missing.
        if self.incident_id is None and self.day is None:
            raise ValidationError({"day": "Give the delivery day the message is about, or an incident."})


class IncidentSignal(models.Model):
    """A run, a missed deadline or a monitoring alert that opened or joined an automatic incident.

    `key` names the signal (e.g. `run-failed-42`), so a signal delivered twice counts once.
    """

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="signals")
    kind = models.CharField(max_length=16, choices=SignalKind.choices)
    key = models.CharField(max_length=255, unique=True)
    at = models.DateTimeField()
    summary = models.CharField(max_length=300)
    run = models.ForeignKey("pipelines.Run", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # When an alert's "resolved" arrived: the incident resolves once every signal it holds is an alert resolved.
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=SignalKind.values), name="%(app_label)s_%(class)s_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.summary}"


class AcknowledgeLinkUse(models.Model):
    """A one-click acknowledge link that was used: each signed link works once."""

    digest = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the signed token.")
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey(TeamMember, on_delete=models.CASCADE, related_name="+")
    used_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.member} acknowledged #{self.incident_id} by link"
