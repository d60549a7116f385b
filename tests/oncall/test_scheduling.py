"""The pure on-call scheduling rules: property tests plus a few worked examples.

No database and no Django: `oncall.scheduling` works on plain values.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import astuple, dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oncall.scheduling import (
    HistoryEntry,
    HolidayWarning,
    PlannedShift,
    holiday_dates,
    plan_shifts,
    regular_member,
    shift_bounds,
)

ZONES = ["UTC", "America/New_York", "Europe/Berlin", "Australia/Sydney", "Asia/Kolkata"]
HANDOFFS = [time(0, 0), time(9, 30), time(2, 30)]  # 02:30 falls into some spring-forward gaps
PLANS = settings(max_examples=100, deadline=None)

US_START = date(2026, 11, 23)  # a Monday
US_UNTIL = date(2036, 12, 31)


@dataclass(frozen=True)
class Rotation:
    order: list[int]
    window: int
    holidays: dict[date, str]
    start: date
    until: date
    block_days: int = 7
    tz_name: str = "UTC"
    handoff: time = time(0, 0)

    def plan(self, **overrides) -> list[PlannedShift]:
        kwargs = {
            "start": self.start,
            "until": self.until,
            "from_day": self.start,
            "order": self.order,
            "block_days": self.block_days,
            "tz_name": self.tz_name,
            "handoff": self.handoff,
            "holidays": self.holidays,
            "history": [],
            "window_years": self.window,
        }
        kwargs.update(overrides)
        return plan_shifts(**kwargs)


@st.composite
def rotations(draw, *, max_extra: int = 3, max_years: int = 5) -> Rotation:
    """A team at least as large as the window, and a calendar whose holidays recur yearly."""
    window = draw(st.integers(1, 4))
    size = draw(st.integers(window, window + max_extra))
    order = draw(st.lists(st.integers(1, 999), min_size=size, max_size=size, unique=True))
    offsets = draw(st.lists(st.integers(0, 364), min_size=1, max_size=12, unique=True))
    first_year = 2026
    years = draw(st.integers(1, max_years))
    holidays = {
        date(year, 1, 1) + timedelta(days=offset): f"Holiday {k}"
        for year in range(first_year, first_year + years)
        for k, offset in enumerate(offsets)
    }
    return Rotation(
        order=order,
        window=window,
        holidays=holidays,
        start=date(first_year, 1, 1) + timedelta(days=draw(st.integers(0, 364))),
        until=date(first_year + years - 1, 12, 31),
        block_days=draw(st.integers(1, 14)),
        tz_name=draw(st.sampled_from(ZONES)),
        handoff=draw(st.sampled_from(HANDOFFS)),
    )


# --------------------------------------------------------------------------- checks shared by tests


def holiday_shifts(plan: list[PlannedShift]) -> list[PlannedShift]:
    return [shift for shift in plan if shift.kind == "holiday"]


def window_clashes(held: list[tuple[date, str, int]], window: int) -> list[tuple[str, int, int, int]]:
    """(holiday, member, year, later year) for every repeat fewer than `window` years apart."""
    years: dict[tuple[str, int], list[int]] = defaultdict(list)
    for day, name, member in held:
        years[(name, member)].append(day.year)
    return [
        (name, member, a, b) for (name, member), ys in years.items() for a, b in pairwise(sorted(ys)) if b - a < window
    ]


def balance_problems(held: list[tuple[date, str, int]], order: list[int]) -> list[tuple[str, int, dict[int, int]]]:
    """Years whose holiday counts, or running totals, spread by more than one."""
    problems = []
    running = Counter(dict.fromkeys(order, 0))
    for year in sorted({day.year for day, _, _ in held}):
        counts = Counter(dict.fromkeys(order, 0))
        counts.update(member for day, _, member in held if day.year == year)
        running.update(counts)
        if max(counts.values()) - min(counts.values()) > 1:
            problems.append(("year", year, dict(counts)))
        if max(running.values()) - min(running.values()) > 1:
            problems.append(("running", year, dict(running)))
    return problems


def as_held(plan: list[PlannedShift]) -> list[tuple[date, str, int]]:
    return [(shift.day, shift.holiday_name, shift.member) for shift in holiday_shifts(plan)]


# --------------------------------------------------------------------------- properties


@PLANS
@given(rotations())
def test_one_contiguous_shift_per_day_following_the_blocks(rotation: Rotation) -> None:
    plan = rotation.plan()

    days = [shift.day for shift in plan]
    assert days == [rotation.start + timedelta(days=i) for i in range((rotation.until - rotation.start).days + 1)]
    for shift, following in pairwise(plan):
        # Compare instants: datetimes sharing a ZoneInfo compare and subtract by wall clock.
        assert shift.end.astimezone(UTC) == following.start.astimezone(UTC)
    for shift in plan:
        hours = (shift.end.astimezone(UTC) - shift.start.astimezone(UTC)) / timedelta(hours=1)
        assert hours == 24 if rotation.tz_name == "UTC" else hours in (23, 24, 25)
        assert shift.start.tzinfo is not None and shift.start.date() == shift.day

    for shift in plan:
        if shift.day in rotation.holidays:
            assert (shift.kind, shift.holiday_name) == ("holiday", rotation.holidays[shift.day])
            assert shift.member in rotation.order
        else:
            blocks = (shift.day - rotation.start).days // rotation.block_days
            assert (shift.kind, shift.holiday_name, shift.warning) == ("regular", None, None)
            assert shift.member == rotation.order[blocks % len(rotation.order)]


@PLANS
@given(rotations())
def test_enough_members_keep_the_window_and_the_balance(rotation: Rotation) -> None:
    plan = rotation.plan()

    assert window_clashes(as_held(plan), rotation.window) == []
    assert [shift for shift in plan if shift.warning] == []
    assert balance_problems(as_held(plan), rotation.order) == []


@PLANS
@given(rotations(max_extra=2), st.randoms(use_true_random=False))
def test_deterministic_and_idempotent(rotation: Rotation, rng: random.Random) -> None:
    plan = rotation.plan()

    # Same input in another order: same plan (no dict or set order leaks into the result).
    shuffled = list(rotation.holidays.items())
    rng.shuffle(shuffled)
    assert rotation.plan(holidays=dict(shuffled)) == plan

    # Everything fixed: nothing moves, kinds, names, bounds and warnings included.
    assert rotation.plan(fixed={shift.day: shift.member for shift in plan}) == plan

    # The past fixed (cut anywhere, even mid-year): the rest of the plan does not move.
    cut = rotation.start + timedelta(days=rng.randint(0, (rotation.until - rotation.start).days))
    assert rotation.plan(fixed={shift.day: shift.member for shift in plan if shift.day < cut}) == plan
    # ... nor when the past is given as history (in any order) and planning starts at the cut.
    past = [held for held in as_held(plan) if held[0] < cut]
    rng.shuffle(past)
    assert rotation.plan(from_day=cut, history=past) == [shift for shift in plan if shift.day >= cut]


# The turnover rule on plain values, the model `test_turnover` checks the planner against.


def successor_order(order: list[int], leaver: int, successor: int | None) -> list[int]:
    """The rotation after `leaver` leaves, as the turnover service keeps it by position.

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


@PLANS
@given(rotations(max_extra=2, max_years=6), st.data())
def test_turnover(rotation: Rotation, data: st.DataObject) -> None:
    """A member leaves at the start of a year, with or without a successor."""
    plan = rotation.plan()
    year = data.draw(st.integers(rotation.start.year, rotation.until.year))
    change = max(rotation.start, date(year, 1, 1))
    leaver = data.draw(st.sampled_from(rotation.order))
    successor = 1000
    past = [held for held in as_held(plan) if held[0] < change]

    # With a successor nothing changes for anybody else: the successor is the leaver, renamed,
    # holiday history included.
    history = inherit_history(past, leaver, successor)
    later = rotation.plan(from_day=change, order=successor_order(rotation.order, leaver, successor), history=history)

    def renamed(shift: PlannedShift) -> PlannedShift:
        if shift.member != leaver:
            return shift
        warning = shift.warning and HolidayWarning(successor, *astuple(shift.warning)[1:])
        return replace(shift, member=successor, warning=warning)

    assert later == [renamed(shift) for shift in plan if shift.day >= change]
    assert window_clashes(history + as_held(later), rotation.window) == []

    # Without one the blocks close over the gap; the others' history still holds.
    if len(rotation.order) == 1:
        return
    closed = successor_order(rotation.order, leaver, None)
    later = rotation.plan(from_day=change, order=closed, history=past)
    assert leaver not in {shift.member for shift in later}
    for shift in later:
        if shift.kind == "regular":
            assert shift.member == closed[(shift.day - rotation.start).days // rotation.block_days % len(closed)]
    if len(closed) >= rotation.window:
        assert window_clashes(past + as_held(later), rotation.window) == []
        assert [shift for shift in later if shift.warning] == []


# --------------------------------------------------------------------------- worked examples


@pytest.fixture(scope="module")
def us_holidays() -> dict[date, str]:
    return holiday_dates(range(2023, 2037))


def plan_us(us_holidays: dict[date, str], **overrides) -> list[PlannedShift]:
    kwargs = {
        "start": US_START,
        "until": US_UNTIL,
        "from_day": US_START,
        "order": [1, 2, 3, 4],
        "block_days": 7,
        "tz_name": "America/New_York",
        "handoff": time(0, 0),
        "holidays": us_holidays,
        "history": [],
        "window_years": 4,
    }
    kwargs.update(overrides)
    return plan_shifts(**kwargs)


def christmas_holders(plan: list[PlannedShift]) -> dict[int, int]:
    return {shift.day.year: shift.member for shift in plan if shift.holiday_name == "Christmas Day"}


def test_us_calendar() -> None:
    calendar = holiday_dates([2027, 2028])
    assert calendar[date(2027, 12, 25)] == "Christmas Day"  # a Saturday: not moved to the 24th
    assert date(2027, 12, 24) not in calendar
    assert len(calendar) == 22 and {day.year for day in calendar} == {2027, 2028}

    custom = holiday_dates(
        [2027],
        additions={date(2027, 12, 25): "Office Party", date(2027, 8, 2): "Summer Day", date(2031, 1, 2): "Elsewhere"},
        removals={date(2027, 10, 11), date(2030, 1, 1)},
    )
    assert custom[date(2027, 12, 25)] == "Christmas Day; Office Party"  # joined the way `holidays` joins
    assert custom[date(2027, 8, 2)] == "Summer Day"
    assert date(2027, 10, 11) not in custom  # Columbus Day removed
    assert {day.year for day in custom} == {2027}
    # Removals go first, so removing a date and adding it again renames it.
    renamed = holiday_dates([2027], additions={date(2027, 10, 11): "Renamed"}, removals={date(2027, 10, 11)})
    assert renamed[date(2027, 10, 11)] == "Renamed"


def test_us_four_members_keep_the_window_and_balance_every_year(us_holidays: dict[date, str]) -> None:
    plan = plan_us(us_holidays)

    assert window_clashes(as_held(plan), 4) == []
    assert balance_problems(as_held(plan), [1, 2, 3, 4]) == []
    assert [shift for shift in plan if shift.warning] == []
    per_year = Counter(shift.day.year for shift in holiday_shifts(plan))
    assert per_year == {2026: 2, **dict.fromkeys(range(2027, 2037), 11)}
    # With four members and a four-year window every holiday goes round the whole team.
    for year in range(2027, 2033):
        assert {christmas_holders(plan)[y] for y in range(year, year + 4)} == {1, 2, 3, 4}


def test_us_history_shapes_the_first_generated_years(us_holidays: dict[date, str]) -> None:
    # 2023-2025: each holiday went round the team; member 1 held Christmas Day 2025.
    history = []
    for year in (2023, 2024, 2025):
        days = sorted(day for day in us_holidays if day.year == year)
        for k, day in enumerate(days):
            history.append((day, us_holidays[day], [1, 2, 3, 4][(k + 2 + 2025 - year) % 4]))
    assert (date(2025, 12, 25), "Christmas Day", 1) in history
    assert window_clashes(history, 4) == []

    plan = plan_us(us_holidays, history=history)

    held = christmas_holders(plan)
    assert 1 not in {held[2026], held[2027], held[2028]}
    # 2023-2025 went to 3, 2, 1, so the window leaves exactly one choice for the next years.
    assert [held[year] for year in (2026, 2027, 2028, 2029)] == [4, 3, 2, 1]
    assert christmas_holders(plan_us(us_holidays))[2028] != 2  # without history it goes elsewhere
    assert window_clashes(history + as_held(plan), 4) == []
    assert [shift for shift in plan if shift.warning] == []
    assert balance_problems(as_held(plan), [1, 2, 3, 4]) == []


def test_fixed_holidays_count_as_history(us_holidays: dict[date, str]) -> None:
    untraded = christmas_holders(plan_us(us_holidays))
    assert (untraded[2026], untraded[2028], untraded[2030]) == (2, 3, 2)
    trade = {date(2028, 12, 25): 2}  # member 2 took Christmas Day 2028 in a trade

    plan = plan_us(us_holidays, fixed=trade)

    held = christmas_holders(plan)
    assert held[2028] == 2
    # The window reaches both ways: not in 2026 (planned first) nor in 2030.
    assert 2 not in {held[year] for year in range(2026, 2032) if year != 2028}
    assert window_clashes(as_held(plan), 4) == []
    assert [shift for shift in plan if shift.warning] == []


def test_new_york_dst_2026() -> None:
    plan = plan_shifts(
        start=date(2026, 1, 5),
        until=date(2026, 12, 31),
        from_day=date(2026, 1, 1),
        order=[1, 2, 3],
        block_days=7,
        tz_name="America/New_York",
        handoff=time(0, 0),
        holidays={},
        history=[],
        window_years=4,
    )

    hours = {
        shift.day: (shift.end.astimezone(UTC) - shift.start.astimezone(UTC)) / timedelta(hours=1) for shift in plan
    }
    assert [day for day, h in hours.items() if h == 23] == [date(2026, 3, 8)]
    assert [day for day, h in hours.items() if h == 25] == [date(2026, 11, 1)]
    assert Counter(hours.values()) == {24: 363, 23: 1, 25: 1}
    assert all(shift.start.hour == 0 and shift.start.minute == 0 for shift in plan)


def test_shift_bounds() -> None:
    start, end = shift_bounds(date(2026, 3, 8), "America/New_York")
    assert (start.isoformat(), end.isoformat()) == ("2026-03-08T00:00:00-05:00", "2026-03-09T00:00:00-04:00")
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=23)
    assert shift_bounds(date(2026, 3, 9), "America/New_York")[0] == end

    # A handoff inside the spring-forward gap starts when the clocks have moved on.
    start, end = shift_bounds(date(2026, 3, 8), "America/New_York", time(2, 30))
    assert start.isoformat() == "2026-03-08T03:30:00-04:00"
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=23)

    start, end = shift_bounds(date(2026, 10, 31), "America/New_York", time(9, 0))
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=25)
    utc = ZoneInfo("UTC")
    assert shift_bounds(date(2026, 7, 1)) == (datetime(2026, 7, 1, tzinfo=utc), datetime(2026, 7, 2, tzinfo=utc))


def test_regular_member_blocks() -> None:
    start = date(2026, 11, 23)
    assert [
        regular_member(start + timedelta(days=d), start=start, block_days=7, order=[5, 6, 7]) for d in (0, 6, 7, 20, 21)
    ] == [5, 5, 6, 7, 5]
    assert regular_member(start - timedelta(days=1), start=start, block_days=7, order=[5, 6, 7]) == 7
    with pytest.raises(ValueError):
        regular_member(start, start=start, block_days=0, order=[5])


@pytest.mark.parametrize("order", [[1, 2], [1, 2, 3]])
def test_a_team_smaller_than_the_window_gets_warnings_and_every_holiday(
    us_holidays: dict[date, str], order: list[int]
) -> None:
    plan = plan_us(
        us_holidays, order=order, from_day=date(2027, 1, 1), start=date(2027, 1, 4), until=date(2031, 12, 31)
    )

    holidays = holiday_shifts(plan)
    assert {shift.day for shift in holidays} == {day for day in us_holidays if 2027 <= day.year <= 2031}
    assert {shift.member for shift in holidays} == set(order)
    # Everybody is eligible until each member has held each holiday once.
    first_forced = 2027 + len(order)
    assert [shift for shift in holidays if shift.warning and shift.day.year < first_forced] == []
    assert [shift for shift in holidays if not shift.warning and shift.day.year >= first_forced] == []

    last_held: dict[tuple[str, int], int] = {}
    for shift in holidays:
        if shift.warning:
            warning = shift.warning
            assert (warning.member, warning.holiday_name, warning.year) == (
                shift.member,
                shift.holiday_name,
                shift.day.year,
            )
            assert warning.held_year == last_held[(shift.holiday_name, shift.member)]
            # Nobody was eligible, so the least recent holder was taken: everybody else held it since.
            others = [last_held[(shift.holiday_name, member)] for member in order if member != shift.member]
            assert warning.held_year == shift.day.year - len(order) < min(others)
        last_held[(shift.holiday_name, shift.member)] = shift.day.year
    assert balance_problems(as_held(plan), order) == []

    christmas = next(shift.warning for shift in holidays if shift.warning and shift.holiday_name == "Christmas Day")
    assert christmas.message("Jane") == (
        f"Nobody was eligible under the 4-year rule; Jane held Christmas Day in {christmas.held_year}."
    )


def test_balance_is_relaxed_before_the_window() -> None:
    # Member 1 held all three holidays last year: a balanced year would need a window breach.
    holidays = {date(2027, 3, 1): "A", date(2027, 6, 1): "B", date(2027, 9, 1): "C"}
    history = [(date(2026, 3, 1), "A", 1), (date(2026, 6, 1), "B", 1), (date(2026, 9, 1), "C", 1)]

    plan = plan_shifts(
        start=date(2027, 1, 4),
        until=date(2027, 12, 31),
        from_day=date(2027, 1, 1),
        order=[1, 2, 3],
        block_days=7,
        tz_name="UTC",
        handoff=time(0, 0),
        holidays=holidays,
        history=history,
        window_years=2,
    )

    members = [shift.member for shift in holiday_shifts(plan)]
    assert 1 not in members and sorted(Counter(members).values()) == [1, 2]
    assert [shift for shift in plan if shift.warning] == []


def test_longest_ago_then_rotation_order() -> None:
    def holders(order: list[int], history: list[tuple[date, str, int]]) -> list[int]:
        plan = plan_shifts(
            start=date(2026, 1, 5),
            until=date(2028, 12, 31),
            from_day=date(2026, 1, 1),
            order=order,
            block_days=7,
            tz_name="UTC",
            handoff=time(0, 0),
            holidays={date(year, 8, 1): "Summer Day" for year in (2026, 2027, 2028)},
            history=history,
            window_years=1,  # no hard rule: only the preferences decide
        )
        return [shift.member for shift in holiday_shifts(plan)]

    # Nobody held it: rotation order (not id order), the running totals passing it on.
    assert holders([30, 10, 20], []) == [30, 10, 20]
    # 10 never held it, then 20 held it longer ago than 30; 30 last, by the running totals.
    history = [(date(2024, 8, 1), "Summer Day", 20), (date(2025, 8, 1), "Summer Day", 30)]
    assert holders([30, 10, 20], history) == [10, 20, 30]


@pytest.mark.parametrize(
    ("window", "size", "offsets", "years", "start", "cut"),
    [
        (1, 5, [87, 235, 291, 318, 360], 6, date(2026, 1, 20), date(2027, 10, 19)),
        (3, 5, [2, 97, 193, 270, 286], 5, date(2026, 10, 24), date(2028, 7, 12)),
        (4, 8, [16, 20, 50, 64, 160, 226, 272], 7, date(2026, 3, 7), date(2028, 2, 20)),
        # Decided by the look-ahead rather than the plain matching:
        (3, 3, [45, 49, 81, 149, 177, 211, 217, 320], 4, date(2026, 4, 18), date(2027, 2, 19)),
        (3, 3, [7, 19, 227, 241, 245, 249, 293, 305, 313], 4, date(2026, 8, 24), date(2027, 1, 20)),
    ],
)
def test_replanning_mid_year_keeps_the_rest_of_a_tied_year(
    window: int, size: int, offsets: list[int], years: int, start: date, cut: date
) -> None:
    """In these years several answers cost exactly the same; re-planning with the past fixed
    must still pick the same one (the canonical answer), or the rest of the year would move."""
    rotation = Rotation(
        order=list(range(1, size + 1)),
        window=window,
        holidays={
            date(year, 1, 1) + timedelta(days=offset): f"Holiday {k}"
            for year in range(2026, 2026 + years)
            for k, offset in enumerate(offsets)
        },
        start=start,
        until=date(2026 + years - 1, 12, 31),
    )
    plan = rotation.plan()

    assert rotation.plan(fixed={shift.day: shift.member for shift in plan if shift.day < cut}) == plan


def test_a_choice_now_does_not_unbalance_a_later_year() -> None:
    # Four members, a four-year window and a first year that starts in June: matching each
    # year on its own hands 2028's extra holidays to members 1 and 2, after which 2029 cannot
    # give 3 and 4 theirs without breaking the window. Looking ahead avoids that.
    dates = [(1, 3), (4, 4), (4, 16), (4, 28), (6, 19), (6, 25), (7, 19), (9, 6), (11, 1), (11, 10)]
    rotation = Rotation(
        order=[1, 2, 3, 4],
        window=4,
        holidays={date(year, m, d): f"Holiday {m}/{d}" for year in range(2026, 2033) for m, d in dates},
        start=date(2026, 6, 4),
        until=date(2032, 12, 31),
    )

    plan = rotation.plan()

    assert window_clashes(as_held(plan), 4) == []
    assert balance_problems(as_held(plan), rotation.order) == []
    assert [shift for shift in plan if shift.warning] == []


def test_when_nobody_is_eligible_the_least_recent_holder_wins_over_balance() -> None:
    # Member 2 held both holidays longer ago than member 1: both go to 2, unbalanced, with warnings.
    history = [
        (date(2025, 3, 1), "A", 2),
        (date(2025, 9, 1), "B", 2),
        (date(2026, 3, 1), "A", 1),
        (date(2026, 9, 1), "B", 1),
    ]
    plan = plan_shifts(
        start=date(2027, 1, 4),
        until=date(2027, 12, 31),
        from_day=date(2027, 1, 1),
        order=[1, 2],
        block_days=7,
        tz_name="UTC",
        handoff=time(0, 0),
        holidays={date(2027, 3, 1): "A", date(2027, 9, 1): "B"},
        history=history,
        window_years=4,
    )

    assert [(shift.member, shift.warning) for shift in holiday_shifts(plan)] == [
        (2, HolidayWarning(2, "A", 2027, 2025, 4)),
        (2, HolidayWarning(2, "B", 2027, 2025, 4)),
    ]
