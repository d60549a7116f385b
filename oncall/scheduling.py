"""The on-call scheduling rules as plain functions over plain values.

No Django and no ORM here: the oncall app turns rotations, members and stored shifts into
these values, calls `plan_shifts`, and stores or compares what comes back.

The rules, in short:

* Every calendar day has exactly one shift, from the handoff time (local midnight by default)
  to the next day's handoff, so a shift lasts 23 or 25 hours across a DST change.
* Regular days rotate through the members in blocks of `block_days` days counted from the
  rotation's start date.
* Holidays are carved out of the blocks and shared out one calendar year at a time as a
  min-cost assignment: nobody holds the same holiday twice within `window_years` consecutive
  years (hard rule), each member's holiday count per year and running total stay within one
  of everybody else's, then whoever held that holiday longest ago wins, then rotation order.
  Each year's answer is checked against the next years (a small integer program) so that a
  choice made now does not make a later year impossible to balance (`oncall.holiday_assignment`).
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from holidays import country_holidays

from .holiday_assignment import Ledger, YearContext, assign_year

DEFAULT_TZ = "UTC"
DEFAULT_HANDOFF = time(0, 0)
DEFAULT_BLOCK_DAYS = 7
DEFAULT_COUNTRY = "US"
DEFAULT_WINDOW_YEARS = 4

ShiftKind = Literal["regular", "holiday"]
HistoryEntry = tuple[date, str, int]
"""(day, holiday name, member id): who held a holiday, traded results included."""


@dataclass(frozen=True, slots=True)
class HolidayWarning:
    """A holiday shift that breaks the window rule: `member` already held `holiday_name` in
    `held_year`, fewer than `window_years` years before `year`.

    The planner only does this when nobody was eligible (a team smaller than the window, or
    history/fixed shifts that leave no one). The later of the two holdings carries the
    warning, also when it is a fixed shift. Member ids only: the caller formats names.
    """

    member: int
    holiday_name: str
    year: int
    held_year: int
    window_years: int

    def message(self, member_name: str | None = None) -> str:
        who = member_name if member_name is not None else f"Member {self.member}"
        return (
            f"Nobody was eligible under the {self.window_years}-year rule; "
            f"{who} held {self.holiday_name} in {self.held_year}."
        )

    def __str__(self) -> str:
        return self.message()


@dataclass(frozen=True, slots=True)
class PlannedShift:
    """One day's shift. `start`/`end` are aware datetimes in the rotation's zone.

    Subtracting two datetimes that share a ZoneInfo compares wall clocks, so convert to UTC
    before measuring a shift's length.
    """

    day: date
    member: int
    kind: ShiftKind
    holiday_name: str | None
    start: datetime
    end: datetime
    warning: HolidayWarning | None = None


# --------------------------------------------------------------------------- shifts and blocks


def shift_bounds(day: date, tz_name: str = DEFAULT_TZ, handoff: time = DEFAULT_HANDOFF) -> tuple[datetime, datetime]:
    """The shift of `day` runs from its handoff to the next day's handoff, in local time.

    End == the next day's start by construction, so shifts never gap or overlap; across a
    DST change the shift is 23 or 25 real hours long.
    """
    zone = ZoneInfo(tz_name)
    return _local_handoff(day, zone, handoff), _local_handoff(day + timedelta(days=1), zone, handoff)


def _local_handoff(day: date, zone: ZoneInfo, handoff: time) -> datetime:
    if handoff.tzinfo is not None:
        raise ValueError("handoff must be a naive local time")
    wall = datetime.combine(day, handoff, tzinfo=zone)
    # A handoff inside a spring-forward gap does not exist on the wall clock; the UTC round
    # trip turns it into the real instant (e.g. 02:30 -> 03:30) so stored values are valid.
    return wall.astimezone(UTC).astimezone(zone)


def regular_member(day: date, *, start: date, block_days: int, order: list[int]) -> int:
    """Blocks of `block_days` days from `start`: member = order[(days since start // block_days) mod n]."""
    if not order:
        raise ValueError("a rotation needs at least one member")
    if block_days < 1:
        raise ValueError("block_days must be at least 1")
    return order[((day - start).days // block_days) % len(order)]


# --------------------------------------------------------------------------- holiday calendar


def holiday_dates(
    years: Iterable[int],
    *,
    country: str = DEFAULT_COUNTRY,
    subdiv: str | None = None,
    additions: Mapping[date, str] | None = None,
    removals: Iterable[date] | None = None,
) -> dict[date, str]:
    """The rotation's holidays for `years`, keyed by the holiday's own date.

    `observed=False`, so "Christmas Day" is always 25 December. Removals are applied before
    additions, so removing a date and adding it again renames it. An addition on an existing
    holiday is joined the way `holidays` joins two holidays on one date ("A; B"), and that
    joined name is the holiday's identity for the window rule.
    """
    wanted = sorted(set(years))
    calendar = country_holidays(country, subdiv=subdiv, years=wanted, observed=False)
    wanted_set = set(wanted)
    # Dates outside `years` are skipped: touching them would make `holidays` load that year.
    for day in sorted(set(removals or ())):
        if day.year in wanted_set and day in calendar:
            calendar.pop(day)
    for day, name in sorted((additions or {}).items()):
        if day.year in wanted_set:
            calendar[day] = name
    return dict(sorted(calendar.items()))


# --------------------------------------------------------------------------- planning


def plan_shifts(
    *,
    start: date,
    until: date,
    from_day: date,
    order: list[int],
    block_days: int = DEFAULT_BLOCK_DAYS,
    tz_name: str = DEFAULT_TZ,
    handoff: time = DEFAULT_HANDOFF,
    holidays: Mapping[date, str],
    history: Iterable[HistoryEntry] = (),
    window_years: int = DEFAULT_WINDOW_YEARS,
    fixed: Mapping[date, int] | None = None,
) -> list[PlannedShift]:
    """One shift per day from `from_day` through `until`.

    * `fixed` days (past and traded shifts) keep their member; fixed holidays count as history.
    * Other holiday days are assigned per calendar year, in year order, each year's result
      becoming history for the next (see `assign_year`).
    * Every other day follows the block formula (`regular_member`).
    * A holiday shift whose member held the same holiday in an earlier year inside the window
      carries a `HolidayWarning`; this depends only on the final assignment, so re-planning
      with the result as `fixed` reproduces it exactly.

    History entries dated on or after `from_day` are ignored: the plan (or `fixed`) decides those days.
    Holidays in `holidays` after `until` are used to look ahead: pass the calendar
    `window_years - 1` years further so the last planned years come out as they will when
    the plan is later extended.
    """
    if not order:
        raise ValueError("a rotation needs at least one member")
    if len(set(order)) != len(order):
        raise ValueError("a member appears twice in the rotation order")
    if block_days < 1:
        raise ValueError("block_days must be at least 1")
    if window_years < 1:
        raise ValueError("window_years must be at least 1")
    if until < from_day:
        return []
    fixed = dict(fixed or {})

    ledger = Ledger()
    for day, name, member in sorted(history):
        if day < from_day:
            ledger.hold(day, name, member)
    for day, member in sorted(fixed.items()):
        if day in holidays:
            ledger.hold(day, holidays[day], member)

    calendar_by_year: dict[int, list[date]] = defaultdict(list)
    for day in sorted(holidays):
        calendar_by_year[day.year].append(day)

    def free_days(year: int) -> list[date]:
        return [day for day in calendar_by_year.get(year, ()) if day >= from_day and day not in fixed]

    planned: dict[date, int] = {}
    for year in range(from_day.year, until.year + 1):
        # The whole calendar year is assigned, even past `until`, so extending the plan later
        # does not change what was already planned; only days up to `until` are returned.
        free = free_days(year)
        if not free:
            continue
        context = YearContext(year, order, holidays, ledger, window_years, running_since=start.year)
        assignment = assign_year(context, free, calendar_by_year, free_days)
        for day, member in assignment.items():
            planned[day] = member
            ledger.hold(day, holidays[day], member)

    zone = ZoneInfo(tz_name)
    day_count = (until - from_day).days + 1
    bounds = [_local_handoff(from_day + timedelta(days=i), zone, handoff) for i in range(day_count + 1)]
    shifts: list[PlannedShift] = []
    for i in range(day_count):
        day = from_day + timedelta(days=i)
        name = holidays.get(day)
        if day in fixed:
            member = fixed[day]
        elif name is not None:
            member = planned[day]
        else:
            member = regular_member(day, start=start, block_days=block_days, order=order)
        warning = None if name is None else _window_warning(day, name, member, ledger, window_years)
        shifts.append(
            PlannedShift(
                day=day,
                member=member,
                kind="regular" if name is None else "holiday",
                holiday_name=name,
                start=bounds[i],
                end=bounds[i + 1],
                warning=warning,
            )
        )
    return shifts


def _window_warning(day: date, name: str, member: int, ledger: Ledger, window_years: int) -> HolidayWarning | None:
    """Warn when `member` held `name` on an earlier date fewer than `window_years` years back."""
    held = ledger.days_held(name, member)
    earlier = held[: bisect.bisect_left(held, day)]
    if earlier and day.year - earlier[-1].year < window_years:
        return HolidayWarning(member, name, day.year, earlier[-1].year, window_years)
    return None


def window_breaches(
    holdings: Iterable[HistoryEntry], acquired: Iterable[HistoryEntry], window_years: int
) -> list[tuple[HistoryEntry, date]]:
    """For each newly acquired (day, holiday, member), another day on which that member holds the
    same holiday fewer than `window_years` years away (before or after), if any.

    Used to warn before a trade: a trade that breaks the window is allowed, but people are told.
    """
    days_held: dict[tuple[str, int], list[date]] = defaultdict(list)
    for day, name, member in holdings:
        days_held[(name, member)].append(day)
    breaches = []
    for entry in acquired:
        day, name, member = entry
        clashes = sorted(
            (
                other
                for other in days_held.get((name, member), ())
                if other != day and abs(other.year - day.year) < window_years
            ),
            key=lambda other: abs((other - day).days),
        )
        if clashes:
            breaches.append((entry, clashes[0]))
    return breaches
