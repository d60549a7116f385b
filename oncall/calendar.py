"""The team's calendar, the one home of "a business day": business days, the business-hours clock,
and the team's holidays.

The rules are plain functions over plain values; only the last section reads the database, to
turn the team rotation's time zone and holiday calendar into a `BusinessHours`.

* A business day is Monday to Friday, except the team's closed days (each holiday of the team
  rotation's calendar and the weekday it is observed on). Which dates those are is
  `team_closed_days`' decision; everything else takes them as a set of dates.
* The clock runs on business days from 09:00 to 17:00 in the team's time zone (all
  configurable) and stands still otherwise.
* Each open local date has one interval, half-open: [opening, closing). The opening and
  closing instants come from the local wall-clock times through zoneinfo, so a DST change
  moves the UTC offset, never the local opening time.
* A deadline that lands exactly on closing time stays there (17:00 that day, not 09:00 the next
  business day); a zero-minute deadline is the next open instant at or after the start.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from numbers import Real
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holiday_calendars
from django.utils import timezone

from . import scheduling
from .choices import CustomHolidayKind
from .models import Rotation

WORKING_WEEKDAYS = frozenset(range(5))
"""Monday (0) to Friday (4)."""

MAX_CLOSED_DAYS = 366 * 10
"""How many consecutive closed days `add_business_time` walks before giving up: a calendar
with no business day in ten years is a configuration error, not a deadline."""

_ONE_DAY = timedelta(days=1)
_ONE_MINUTE = timedelta(minutes=1)
_ZERO = timedelta(0)


# --- business days -------------------------------------------------------------------------------


def is_business_day(
    day: date, closed_days: Collection[date] = frozenset(), weekdays: Collection[int] = WORKING_WEEKDAYS
) -> bool:
    """Monday to Friday (or one of `weekdays`, Monday being 0), and not one of `closed_days`."""
    return day.weekday() in weekdays and day not in closed_days


def business_days(first: date, last: date, closed_days: Collection[date] = frozenset()) -> list[date]:
    """The business days from `first` to `last`, both included."""
    days = []
    day = first
    while day <= last:
        if is_business_day(day, closed_days):
            days.append(day)
        day += _ONE_DAY
    return days


def next_business_day(after: date, closed_days: Collection[date] = frozenset()) -> date:
    """The first business day after `after`."""
    day = after + _ONE_DAY
    while not is_business_day(day, closed_days):
        day += _ONE_DAY
    return day


def week_start(day: date) -> date:
    """The Monday of `day`'s week (weeks run Monday to Sunday)."""
    return day - timedelta(days=day.weekday())


# --- the business-hours clock --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BusinessHours:
    """When the business clock runs: `opens` to `closes` local time in `tz_name`, on
    `weekdays` (Monday is 0), except on `holidays`."""

    tz_name: str = "UTC"
    opens: time = time(9)
    closes: time = time(17)
    weekdays: frozenset[int] = WORKING_WEEKDAYS
    holidays: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.tz_name)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {self.tz_name!r}") from exc
        if self.opens.tzinfo is not None or self.closes.tzinfo is not None:
            raise ValueError("opens and closes are local wall-clock times; give them without tzinfo")
        if not self.opens < self.closes:
            raise ValueError(f"opens ({self.opens}) must be before closes ({self.closes})")
        # Callers often hold plain sets; freezing them keeps the value hashable and immutable.
        weekdays = frozenset(self.weekdays)
        holidays = frozenset(self.holidays)
        if not weekdays or not weekdays <= frozenset(range(7)):
            raise ValueError(f"weekdays must be a non-empty subset of 0..6, got {sorted(weekdays)}")
        # A datetime never equals a date, so one slipping in would silently not be a holiday.
        if any(isinstance(day, datetime) or not isinstance(day, date) for day in holidays):
            raise ValueError("holidays must be datetime.date values")
        object.__setattr__(self, "weekdays", weekdays)
        object.__setattr__(self, "holidays", holidays)

    @property
    def zone(self) -> ZoneInfo:
        """The team's time zone (ZoneInfo caches instances, so this is cheap)."""
        return ZoneInfo(self.tz_name)

    def is_business_day(self, day: date) -> bool:
        """True when the clock runs at some point of local date `day`."""
        return is_business_day(day, self.holidays, self.weekdays)

    def open_interval(self, day: date) -> tuple[datetime, datetime] | None:
        """The half-open interval [opening, closing) of local date `day`, as aware datetimes in
        the team's zone, or None when the clock does not run that day."""
        interval = self._utc_interval(day)
        if interval is None:
            return None
        zone = self.zone
        return interval[0].astimezone(zone), interval[1].astimezone(zone)

    def is_open(self, instant: datetime) -> bool:
        """True when the clock runs at `instant` (opening included, closing excluded)."""
        _require_aware(instant, "instant")
        interval = self._utc_interval(instant.astimezone(self.zone).date())
        return interval is not None and interval[0] <= instant < interval[1]

    def _utc_interval(self, day: date) -> tuple[datetime, datetime] | None:
        if not self.is_business_day(day):
            return None
        zone = self.zone
        # Arithmetic happens in UTC: subtracting two datetimes that share a tzinfo is wall-clock
        # arithmetic in Python and would ignore a DST change inside the interval.
        opening = datetime.combine(day, self.opens, tzinfo=zone).astimezone(UTC)
        closing = datetime.combine(day, self.closes, tzinfo=zone).astimezone(UTC)
        # Only hours lying wholly inside a spring-forward gap collapse to nothing.
        if closing <= opening:
            return None
        return opening, closing


def business_time_between(start: datetime, end: datetime, hours: BusinessHours) -> timedelta:
    """The business time elapsed from `start` to `end` (aware instants); zero if `end <= start`.

    Walks one local date at a time, so a span of months costs a few hundred steps.
    """
    _require_aware(start, "start")
    _require_aware(end, "end")
    if end <= start:
        return _ZERO
    zone = hours.zone
    start_utc = start.astimezone(UTC)
    end_utc = end.astimezone(UTC)
    day = start_utc.astimezone(zone).date()
    last_day = end_utc.astimezone(zone).date()
    total = _ZERO
    while day <= last_day:
        interval = hours._utc_interval(day)
        if interval is not None:
            overlap = min(interval[1], end_utc) - max(interval[0], start_utc)
            if overlap > _ZERO:
                total += overlap
        day += _ONE_DAY
    return total


def business_minutes_between(start: datetime, end: datetime, hours: BusinessHours) -> float:
    """`business_time_between` in minutes; exact to the microsecond before the final division."""
    return business_time_between(start, end, hours) / _ONE_MINUTE


def add_business_time(start: datetime, duration: timedelta, hours: BusinessHours) -> datetime:
    """The instant `duration` of business time after `start`, in the team's zone.

    Outside hours the clock starts at the next opening. A positive duration ends inside an
    interval or exactly at its closing, never at the next opening; a zero duration gives the
    next open instant at or after `start` (so `start` itself when open, and the next opening
    when `start` is exactly at closing time). Raises ValueError when no business day falls
    within `MAX_CLOSED_DAYS` consecutive days.
    """
    _require_aware(start, "start")
    if duration < _ZERO:
        raise ValueError(f"duration must not be negative, got {duration}")
    zone = hours.zone
    instant = start.astimezone(UTC)
    remaining = duration
    day = instant.astimezone(zone).date()
    closed_days = 0
    while True:
        interval = hours._utc_interval(day)
        if interval is None or interval[1] <= instant:
            closed_days += 1
            if closed_days > MAX_CLOSED_DAYS:
                raise ValueError(f"no business day within {MAX_CLOSED_DAYS} days of {start.isoformat()}")
        else:
            closed_days = 0
            begin = max(interval[0], instant)
            available = interval[1] - begin
            # `<=` rather than `<` is what keeps an exact fit at closing time instead of
            # rolling over to the next opening.
            if remaining <= available:
                return (begin + remaining).astimezone(zone)
            remaining -= available
        day += _ONE_DAY


def add_business_minutes(start: datetime, minutes: int | float, hours: BusinessHours) -> datetime:
    """The instant `minutes` business minutes after `start`; see `add_business_time`.

    Fractional minutes are kept to the microsecond.
    """
    # bool is an int subclass; True minutes is a bug at the call site, not one minute.
    if isinstance(minutes, bool) or not isinstance(minutes, Real):
        raise TypeError(f"minutes must be a number, got {type(minutes).__name__}")
    if not math.isfinite(minutes) or minutes < 0:
        raise ValueError(f"minutes must be finite and not negative, got {minutes}")
    # timedelta takes only int and float; other Reals (Fraction) go through float.
    amount = minutes if isinstance(minutes, int) else float(minutes)
    return add_business_time(start, timedelta(minutes=amount), hours)


def _require_aware(value: datetime, name: str) -> None:
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value.isoformat()}")


# --- the team's holidays (reads the database) ----------------------------------------------------


def rotation_holidays(rotation: Rotation, years: Iterable[int]) -> dict[date, str]:
    """The rotation's holidays on their own dates (`observed=False`), with its custom changes."""
    customs = list(rotation.custom_holidays.all())
    return scheduling.holiday_dates(
        years,
        country=rotation.holiday_country,
        subdiv=rotation.holiday_subdivision or None,
        additions={c.date: c.name for c in customs if c.kind == CustomHolidayKind.ADDITION},
        removals=[c.date for c in customs if c.kind == CustomHolidayKind.REMOVAL],
    )


def rotation_closed_days(rotation: Rotation, years: Iterable[int]) -> set[date]:
    """Days that are not business days for holiday reasons: each holiday and its observed weekday."""
    years = list(years)
    observed = holiday_calendars.country_holidays(
        rotation.holiday_country, subdiv=rotation.holiday_subdivision or None, years=years, observed=True
    )
    own_dates = rotation_holidays(rotation, years)
    removals = {c.date for c in rotation.custom_holidays.all() if c.kind == CustomHolidayKind.REMOVAL}
    return (set(observed) - removals) | set(own_dates)


def team_rotation() -> Rotation | None:
    """The rotation whose time zone and holidays are the team's (the first one made)."""
    return Rotation.objects.prefetch_related("custom_holidays").order_by("pk").first()


def team_rotation_id():
    """`team_rotation`'s id as a subquery, to filter by it in the same query."""
    return Rotation.objects.order_by("pk").values("pk")[:1]


def team_business_hours(*instants: datetime, opens: time | None = None, closes: time | None = None) -> BusinessHours:
    """The team's business hours: Monday to Friday, `opens` to `closes` (09:00 to 17:00 unless given)
    in the team rotation's time zone, closed on its holidays.

    The holidays cover every year the instants touch and the years either side (this year without
    instants), so a clock started late in December still knows January's holidays. Without a
    rotation, the hours are in UTC with no holidays.
    """
    hours = {key: value for key, value in {"opens": opens, "closes": closes}.items() if value is not None}
    rotation = team_rotation()
    if rotation is None:
        return BusinessHours(**hours)
    years = {instant.year for instant in instants} or {timezone.now().year}
    closed = rotation_closed_days(rotation, range(min(years) - 1, max(years) + 2))
    return BusinessHours(tz_name=rotation.time_zone, holidays=frozenset(closed), **hours)


def team_closed_days(*instants: datetime) -> frozenset[date]:
    """The team's closed days in every year the instants touch and the years either side."""
    return team_business_hours(*instants).holidays
