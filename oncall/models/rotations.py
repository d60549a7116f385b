import zoneinfo
from datetime import date, time

import holidays
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from ..choices import CustomHolidayKind, ShiftKind
from ..history import track, tracked_history
from ..querysets import ShiftQuerySet
from ..years import validate_supported_date
from .members import TeamMember, new_feed_token


def default_handoff_time() -> time:
    """Midnight; a function, as Django's check warns of a fixed time default (fields.W161) at that time of day."""
    return time(0, 0)


def this_monday() -> date:
    from ..calendar import week_start  # the calendar reads rotations, so it cannot be imported first

    return week_start(timezone.localdate())


class Rotation(models.Model):
    """A weekly on-call rotation: who, in what order, in which time zone, and which holidays count."""

    name = models.CharField(max_length=100, unique=True)
    members = models.ManyToManyField(TeamMember, through="RotationMembership", related_name="rotations")
    time_zone = models.CharField(max_length=64, default="UTC")
    handoff_time = models.TimeField(
        default=default_handoff_time, help_text="When one day's shift hands over to the next."
    )
    block_days = models.PositiveSmallIntegerField(
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(91)],
        help_text="Days each member holds the rotation (at most 91).",
    )
    start_date = models.DateField(default=this_monday, validators=[validate_supported_date])
    holiday_country = models.CharField(max_length=8, default="US", help_text="A country code of the holidays package.")
    holiday_subdivision = models.CharField(max_length=16, blank=True)
    window_years = models.PositiveSmallIntegerField(
        default=4,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
        help_text="Nobody holds the same holiday twice within this many years (at most 10).",
    )
    feed_token = models.CharField(max_length=64, unique=True, default=new_feed_token)
    plan_fingerprint = models.CharField(
        max_length=64, blank=True, editable=False, help_text="Digest of the last generation's inputs and result."
    )
    plan_key = models.SlugField(
        max_length=50,
        blank=True,
        editable=False,
        help_text="Set on the rotation an imported plan configures: a re-import finds it by this, whatever its name.",
    )

    history = tracked_history(excluded_fields=["feed_token", "plan_fingerprint"])

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(block_days__gte=1), name="%(app_label)s_%(class)s_block_days_positive"),
            models.CheckConstraint(condition=Q(window_years__gte=1), name="%(app_label)s_%(class)s_window_positive"),
            models.UniqueConstraint(
                fields=["plan_key"], condition=~Q(plan_key=""), name="%(app_label)s_%(class)s_one_per_plan_key"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("oncall:calendar")

    def clean(self):
        errors = {}
        try:
            zoneinfo.ZoneInfo(self.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            errors["time_zone"] = f"“{self.time_zone}” is not a time zone name such as Europe/Berlin."
        if self.holiday_country not in holidays.list_supported_countries():
            errors["holiday_country"] = f"“{self.holiday_country}” is not a country the holidays package knows."
        elif (
            self.holiday_subdivision
            and self.holiday_subdivision not in holidays.list_supported_countries()[self.holiday_country]
        ):
            errors["holiday_subdivision"] = (
                f"“{self.holiday_subdivision}” is not a subdivision of {self.holiday_country}."
            )
        if errors:
            raise ValidationError(errors)

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


class RotationMembership(models.Model):
    """A member's place in a rotation's order, from `starts_on` until the day before `ends_on`."""

    rotation = models.ForeignKey(Rotation, on_delete=models.CASCADE, related_name="memberships")
    member = models.ForeignKey(TeamMember, on_delete=models.PROTECT, related_name="rotation_memberships")
    position = models.PositiveSmallIntegerField()
    starts_on = models.DateField(null=True, blank=True, help_text="Empty: since the rotation began.")
    ends_on = models.DateField(null=True, blank=True, help_text="Empty: still in the rotation.")

    history = tracked_history()

    class Meta:
        ordering = ["rotation", "position", "starts_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["rotation", "position"],
                condition=Q(ends_on__isnull=True),
                name="%(app_label)s_%(class)s_one_current_member_per_position",
            ),
            models.UniqueConstraint(
                fields=["rotation", "member"],
                condition=Q(ends_on__isnull=True),
                name="%(app_label)s_%(class)s_one_current_position_per_member",
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(starts_on__isnull=True) | Q(ends_on__gt=models.F("starts_on")),
                name="%(app_label)s_%(class)s_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position + 1}. {self.member}"

    def covers(self, day: date) -> bool:
        return (self.starts_on is None or self.starts_on <= day) and (self.ends_on is None or day < self.ends_on)


class CustomHoliday(models.Model):
    """A rotation's own change to its country's holiday calendar: an extra holiday or a day that isn't one."""

    rotation = models.ForeignKey(Rotation, on_delete=models.CASCADE, related_name="custom_holidays")
    date = models.DateField()
    name = models.CharField(max_length=100, blank=True)
    kind = models.CharField(max_length=10, choices=CustomHolidayKind.choices, default=CustomHolidayKind.ADDITION)

    history = tracked_history()

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["rotation", "date"], name="%(app_label)s_%(class)s_one_per_day"),
            models.CheckConstraint(
                condition=Q(kind=CustomHolidayKind.REMOVAL) | ~Q(name=""),
                name="%(app_label)s_%(class)s_addition_named",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date}: {self.name or self.get_kind_display()}"


class Shift(models.Model):
    """One calendar day of on-call duty, from local midnight (the handoff) to the next."""

    rotation = models.ForeignKey(Rotation, on_delete=models.CASCADE, related_name="shifts")
    date = models.DateField()
    member = models.ForeignKey(TeamMember, on_delete=models.PROTECT, related_name="shifts")
    kind = models.CharField(max_length=10, choices=ShiftKind.choices, default=ShiftKind.REGULAR)
    holiday_name = models.CharField(max_length=150, blank=True)
    start = models.DateTimeField()
    end = models.DateTimeField()
    traded = models.BooleanField(default=False, help_text="Changed hands by a holiday trade: regeneration keeps it.")
    warning = models.CharField(max_length=300, blank=True)

    objects = ShiftQuerySet.as_manager()

    class Meta:
        ordering = ["rotation", "date"]
        constraints = [
            models.UniqueConstraint(fields=["rotation", "date"], name="%(app_label)s_%(class)s_one_per_day"),
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")), name="%(app_label)s_%(class)s_ends_after_start"
            ),
            models.CheckConstraint(
                condition=(Q(kind=ShiftKind.HOLIDAY) & ~Q(holiday_name=""))
                | (Q(kind=ShiftKind.REGULAR) & Q(holiday_name="")),
                name="%(app_label)s_%(class)s_holiday_named",
            ),
            models.CheckConstraint(
                condition=Q(traded=False) | Q(kind=ShiftKind.HOLIDAY),
                name="%(app_label)s_%(class)s_only_holidays_traded",
            ),
        ]
        indexes = [models.Index(fields=["member", "date"]), models.Index(fields=["start", "end"])]

    def __str__(self) -> str:
        label = f" ({self.holiday_name})" if self.holiday_name else ""
        return f"{self.date}{label}: {self.member}"

    @property
    def is_holiday(self) -> bool:
        return self.kind == ShiftKind.HOLIDAY


class HolidayRecord(models.Model):
    """Who held a holiday before the portal kept shifts, so the holiday window counts it from day one."""

    date = models.DateField()
    holiday_name = models.CharField(max_length=150)
    member = models.ForeignKey(TeamMember, on_delete=models.PROTECT, related_name="holiday_records")

    class Meta:
        ordering = ["-date"]
        constraints = [
            models.UniqueConstraint(fields=["date", "holiday_name"], name="%(app_label)s_%(class)s_one_holder"),
        ]

    def __str__(self) -> str:
        return f"{self.holiday_name} {self.date.year}: {self.member}"


track("rotation", Rotation, label_field="name")
track("rotation_membership", RotationMembership, parent=("rotation", "rotation"))
track("custom_holiday", CustomHoliday, label_field="date", parent=("rotation", "rotation"))
