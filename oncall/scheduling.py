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
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

import numpy as np
from holidays import country_holidays
from scipy.optimize import Bounds, LinearConstraint, linear_sum_assignment, milp
from scipy.sparse import coo_array

DEFAULT_TZ = "UTC"
DEFAULT_HANDOFF = time(0, 0)
DEFAULT_BLOCK_DAYS = 7
DEFAULT_COUNTRY = "US"
DEFAULT_WINDOW_YEARS = 4

ShiftKind = Literal["regular", "holiday"]
HistoryEntry = tuple[date, str, int]
"""(day, holiday name, member id): who held a holiday, traded results included."""

# Costs are exact integers handed to a float64 solver; staying below 2**53 keeps every sum
# exact, so the lexicographic layering below is never blurred by rounding.
_MAX_EXACT_COST = 2**53


@dataclass(frozen=True, slots=True)
class HolidayWarning:
    """A holiday shift that breaks the window rule: `member` already held `holiday_name` in
    `held_year`, fewer than `window_years` years before `year`.

    The planner only does this when nobody was eligible (a team smaller than the window, or
    history/fixed shifts that leave no one); a fixed shift that breaks the rule carries the
    same warning. Member ids only: the caller formats names.
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


# --------------------------------------------------------------------------- turnover


def successor_order(order: list[int], leaver: int, successor: int | None) -> list[int]:
    """The rotation after `leaver` leaves.

    A successor takes the leaver's position, so nobody else's blocks move. With no
    successor the leaver is removed and the blocks close over the gap.
    """
    if leaver not in order:
        raise ValueError(f"member {leaver} is not in the rotation")
    if successor is None:
        return [member for member in order if member != leaver]
    if successor in order:
        raise ValueError(f"member {successor} is already in the rotation")
    return [successor if member == leaver else member for member in order]


def inherit_history(history: Iterable[HistoryEntry], leaver: int, successor: int | None) -> list[HistoryEntry]:
    """The leaver's holiday history counts as the successor's (window rule and totals alike).

    With no successor the history is returned unchanged: it belongs to nobody in the rotation.
    """
    if successor is None:
        return list(history)
    return [(day, name, successor if member == leaver else member) for day, name, member in history]


# --------------------------------------------------------------------------- planning


class _Ledger:
    """Who held which holiday when: history, fixed shifts and what has been planned so far."""

    def __init__(self) -> None:
        self.by_day: dict[date, tuple[str, int]] = {}
        self._days: dict[tuple[str, int], list[date]] = defaultdict(list)

    def hold(self, day: date, name: str, member: int) -> None:
        previous = self.by_day.get(day)
        if previous is not None:
            self._days[previous].remove(day)
        self.by_day[day] = (name, member)
        bisect.insort(self._days[(name, member)], day)

    def days_held(self, name: str, member: int) -> list[date]:
        return self._days.get((name, member), [])

    def min_year(self) -> int | None:
        return min((day.year for day in self.by_day), default=None)


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
      becoming history for the next (see `_assign_year` for the cost layers).
    * Every other day follows the block formula (`regular_member`).
    * A holiday shift whose member held the same holiday in an earlier year inside the window
      carries a `HolidayWarning`; this depends only on the final assignment, so re-planning
      with the result as `fixed` reproduces it exactly.

    History entries dated inside the planned range are superseded by the plan itself.
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

    ledger = _Ledger()
    for day, name, member in sorted(history):
        if not from_day <= day <= until:
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
        context = _YearContext(year, order, holidays, ledger, window_years, running_since=start.year)
        assignment = None
        for lookahead in range(window_years - 1, 0, -1):
            horizon = {y: free_days(y) for y in range(year, year + lookahead + 1)}
            assignment = _assign_with_lookahead(context, horizon, calendar_by_year)
            if assignment is not None:
                break
        if assignment is None:
            assignment = _assign_year(context, free, calendar_by_year[year])
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


def _window_warning(day: date, name: str, member: int, ledger: _Ledger, window_years: int) -> HolidayWarning | None:
    """Warn when `member` held `name` on an earlier date fewer than `window_years` years back."""
    held = ledger.days_held(name, member)
    earlier = held[: bisect.bisect_left(held, day)]
    if earlier and day.year - earlier[-1].year < window_years:
        return HolidayWarning(member, name, day.year, earlier[-1].year, window_years)
    return None


class _YearContext:
    """What the holiday rule needs to know when `year` is being assigned."""

    def __init__(
        self,
        year: int,
        order: list[int],
        holidays: Mapping[date, str],
        ledger: _Ledger,
        window_years: int,
        *,
        running_since: int,
    ) -> None:
        self.year = year
        self.order = order
        self.holidays = holidays
        self.ledger = ledger
        self.window_years = window_years
        self.running_since = running_since
        self.first_year = min(ledger.min_year() or year, year)
        index = {member: i for i, member in enumerate(order)}
        # Known holidays per year per member (history, fixed days, earlier years' results);
        # people no longer in the rotation do not take part in the balance.
        self._counts: dict[int, np.ndarray] = defaultdict(lambda: np.zeros(len(order), dtype=np.int64))
        for day, (_, member) in ledger.by_day.items():
            i = index.get(member)
            if i is not None:
                self._counts[day.year][i] += 1
        self.running_before = sum(
            (self._counts[y] for y in list(self._counts) if running_since <= y < year),
            np.zeros(len(order), dtype=np.int64),
        )

    def counts(self, year: int) -> np.ndarray:
        return self._counts[year].copy() if year in self._counts else np.zeros(len(self.order), dtype=np.int64)

    def severity(self, name: str, year: int, i: int) -> int:
        """0 when eligible; otherwise how close the nearest clash is (window - distance in years)."""
        years = [day.year for day in self.ledger.days_held(name, self.order[i])]
        closest = min((abs(year - held) for held in years), default=self.window_years)
        return max(0, self.window_years - closest)

    def recency(self, name: str, i: int) -> int:
        """0 for never held, otherwise larger the more recently it was held."""
        before = [day.year for day in self.ledger.days_held(name, self.order[i]) if day.year < self.year]
        return max(before) - self.first_year + 1 if before else 0

    def preference(self, days: list[date], calendar: list[date]) -> tuple[np.ndarray, np.ndarray, int]:
        """Recency and rotation-order costs (rows x members) and the scale that keeps them apart.

        The rotation term is the member's rank times the holiday's weight (earlier in the
        calendar = heavier), so that, all else being equal, earlier holidays go to earlier
        members; a flat rank would cost the same for every assignment with the same counts.
        """
        n = len(self.order)
        position = {day: p for p, day in enumerate(calendar)}
        weight = np.array([len(calendar) - position[day] for day in days], dtype=np.int64)
        tie = weight[:, None] * np.arange(n)[None, :]
        recency = np.array(
            [[self.recency(self.holidays[day], i) for i in range(n)] for day in days], dtype=np.int64
        ).reshape(len(days), n)
        recency_scale = len(days) * int(tie.max(initial=0)) + 1
        return recency, tie, recency_scale


def _assign_with_lookahead(
    context: _YearContext, horizon: dict[int, list[date]], calendar_by_year: Mapping[int, list[date]]
) -> dict[date, int] | None:
    """This year's holidays, chosen so the following years can still be balanced (or None).

    A per-year matching is blind to what it forces later: with a team about the size of the
    window, each holiday's next holders are nearly fixed by the previous ones, and an innocent
    choice of who gets this year's extra holiday can make a later year impossible to balance.
    So this year is solved together with the next years of `horizon` as a small integer
    program with the window and both balance rules as hard constraints; only this year's
    result is kept. The objective is this year's recency, then rotation order, as in the
    matching. None when no such plan exists; the caller then tries a shorter horizon and,
    last, the plain matching (which relaxes balance, then the window).
    """
    year, order, n = context.year, context.order, len(context.order)
    rows: list[tuple[date, int]] = []
    choices: list[list[int]] = []
    for t in sorted(horizon):
        for day in horizon[t]:
            eligible = [i for i in range(n) if context.severity(context.holidays[day], t, i) == 0]
            if not eligible:
                if t == year:
                    return None
                continue  # a later year's forced pick: nothing to plan around
            rows.append((day, t))
            choices.append(eligible)

    variables = [(r, i) for r, eligible in enumerate(choices) for i in eligible]
    if not variables:
        return None
    data: list[int] = []
    cons_rows: list[int] = []
    cols: list[int] = []
    lower: list[float] = []
    upper: list[float] = []

    def add(columns: list[int], lo: float, hi: float) -> None:
        k = len(lower)
        cons_rows.extend([k] * len(columns))
        cols.extend(columns)
        data.extend([1] * len(columns))
        lower.append(lo)
        upper.append(hi)

    by_row: dict[int, list[int]] = defaultdict(list)
    by_name_member: dict[tuple[str, int], list[int]] = defaultdict(list)
    by_year_member: dict[tuple[int, int], list[int]] = defaultdict(list)
    for v, (r, i) in enumerate(variables):
        day, t = rows[r]
        by_row[r].append(v)
        by_name_member[(context.holidays[day], i)].append(v)
        by_year_member[(t, i)].append(v)

    for r in range(len(rows)):
        add(by_row[r], 1, 1)
    # At most one copy of a holiday per member in any `window_years` consecutive years.
    windows: set[tuple[int, ...]] = set()
    for columns in by_name_member.values():
        for v in columns:
            first = rows[variables[v][0]][1]
            window = tuple(c for c in columns if first <= rows[variables[c][0]][1] < first + context.window_years)
            if len(window) > 1:
                windows.add(window)
    for window in sorted(windows):
        add(list(window), 0, 1)
    rows_per_year: dict[int, int] = defaultdict(int)
    for _, t in rows:
        rows_per_year[t] += 1
    running = context.running_before.copy()
    running_rows = 0
    running_columns: dict[int, list[int]] = defaultdict(list)
    for t in sorted(horizon):
        known = context.counts(t)
        total = int(known.sum()) + rows_per_year[t]
        lo, hi = total // n, -(-total // n)
        if known.max(initial=0) > hi:
            return None
        if t >= context.running_since:
            running += known
            running_rows += rows_per_year[t]
        run_total = int(running.sum()) + running_rows
        run_lo, run_hi = run_total // n, -(-run_total // n)
        for i in range(n):
            add(by_year_member[(t, i)], lo - int(known[i]), hi - int(known[i]))
            if t >= context.running_since:
                running_columns[i].extend(by_year_member[(t, i)])
                add(running_columns[i], run_lo - int(running[i]), run_hi - int(running[i]))

    this_year = [day for day, t in rows if t == year]
    recency, tie, recency_scale = context.preference(this_year, calendar_by_year[year])
    cost = np.zeros(len(variables))
    for v, (r, i) in enumerate(variables):
        if rows[r][1] == year:
            cost[v] = recency_scale * recency[r, i] + tie[r, i]

    matrix = coo_array((data, (cons_rows, cols)), shape=(len(lower), len(variables))).tocsc()
    result = milp(
        cost,
        integrality=np.ones(len(variables)),
        bounds=Bounds(0, 1),
        constraints=LinearConstraint(matrix, lower, upper),
        # An exact optimum (no relative gap) keeps the answer independent of solver luck,
        # which re-planning relies on; the node cap is deterministic, unlike a time limit.
        options={"mip_rel_gap": 0, "node_limit": 10_000},
    )
    if result.x is None:
        return None
    return {rows[r][0]: order[i] for v, (r, i) in enumerate(variables) if rows[r][1] == year and result.x[v] > 0.5}


def _assign_year(context: _YearContext, free: list[date], calendar: list[date]) -> dict[date, int]:
    """Share out one year's free holidays as a min-cost assignment (not greedily).

    Used when no balanced plan respecting the window exists. Rows are the free holiday dates;
    columns are numbered slots per member (a member's j-th holiday this year). The cost is
    lexicographic, most important first:

    1. window: holding the same holiday fewer than `window_years` years apart; graded by how
       close the clash is, so when nobody is eligible the least recent holder is taken;
    2. yearly balance: the j-th slot costs the member's resulting count for the year, a convex
       cost, so counts end within one of each other whenever eligibility allows;
    3. running balance: the same on totals since the rotation's first year, so the extra
       holidays of an uneven year go to the members with the lowest running totals;
    4. recency: whoever held this holiday longest ago (never = longest) is cheapest;
    5. rotation order (see `_YearContext.preference`).

    Balance sits below the window, so an unbalanced year is preferred over breaking the rule.
    """
    year, order, window_years = context.year, context.order, context.window_years
    rows, n = len(free), len(order)
    names = [context.holidays[day] for day in free]
    severity = np.array([[context.severity(name, year, i) for i in range(n)] for name in names], dtype=np.int64)
    recency, tie, recency_scale = context.preference(free, calendar)

    year_count = context.counts(year)
    running = context.running_before + (year_count if year >= context.running_since else 0)
    slots = np.arange(1, rows + 1)
    year_level = year_count[:, None] + slots[None, :] - year_count.min()
    running_level = running[:, None] + slots[None, :] - running.min()

    # Each layer's scale exceeds the largest possible sum of every layer below it.
    running_scale = recency_scale * (rows * int(recency.max()) + 1)
    year_scale = running_scale * (rows * int(running_level.max()) + 1)
    window_scale = year_scale * (rows * int(year_level.max()) + 1)
    if window_scale * (2 * rows * window_years + 1) >= _MAX_EXACT_COST:
        raise ValueError(f"{year}: too many holidays or members for an exact assignment")

    edge = window_scale * severity + recency_scale * recency + tie  # (rows, n)
    slot = year_scale * year_level + running_scale * running_level  # (n, rows)
    # Column c = member (c // rows), slot (c % rows).
    cost = np.repeat(edge, rows, axis=1) + slot.reshape(1, n * rows)

    # The same holiday twice in one year (e.g. a lunar holiday falling twice) is a window clash
    # the per-year matching cannot see; forbid the later copy for that member and solve again.
    while True:
        row_ind, col_ind = linear_sum_assignment(cost.astype(np.float64))
        chosen = dict(zip(row_ind.tolist(), (col_ind // rows).tolist(), strict=True))
        clash = _same_year_clash(names, chosen)
        if clash is None:
            break
        r, i = clash
        if cost[r, i * rows : (i + 1) * rows].min() >= window_scale * window_years:
            break  # already forbidden: keep the least bad answer
        cost[r, i * rows : (i + 1) * rows] += window_scale * window_years
    return {free[r]: order[i] for r, i in chosen.items()}


def _same_year_clash(names: list[str], chosen: dict[int, int]) -> tuple[int, int] | None:
    seen: set[tuple[str, int]] = set()
    for r in sorted(chosen):
        key = (names[r], chosen[r])
        if key in seen:
            return r, chosen[r]
        seen.add(key)
    return None
