"""The team calendar: business days and the team's holidays, then the business-hours clock (the spec's
worked examples, then properties against a brute force)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oncall.calendar import (
    MAX_CLOSED_DAYS,
    BusinessHours,
    add_business_minutes,
    add_business_time,
    business_days,
    business_minutes_between,
    business_time_between,
    is_business_day,
    next_business_day,
    team_business_hours,
    team_closed_days,
    week_start,
)
from oncall.choices import CustomHolidayKind
from oncall.models import CustomHoliday, Rotation

NEW_YORK = ZoneInfo("America/New_York")
THANKSGIVING_2026 = date(2026, 11, 26)
UTC_HOURS = BusinessHours()
NY_HOURS = BusinessHours(tz_name="America/New_York")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def ny(*args: int) -> datetime:
    return datetime(*args, tzinfo=NEW_YORK)


# --- Business days ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "business"),
    [
        pytest.param(date(2026, 11, 25), True, id="wednesday"),
        pytest.param(date(2026, 11, 27), True, id="friday"),
        pytest.param(date(2026, 11, 28), False, id="saturday"),
        pytest.param(date(2026, 11, 29), False, id="sunday"),
        pytest.param(THANKSGIVING_2026, False, id="holiday-on-a-thursday"),
        pytest.param(date(2026, 11, 30), True, id="monday"),
    ],
)
def test_a_business_day_is_a_weekday_that_is_not_closed(day: date, business: bool) -> None:
    assert is_business_day(day, {THANKSGIVING_2026, date(2026, 11, 28)}) is business
    assert BusinessHours(holidays=frozenset({THANKSGIVING_2026})).is_business_day(day) is business


def test_business_days_include_both_ends_and_skip_weekends_and_closed_days() -> None:
    days = business_days(date(2026, 11, 20), date(2026, 11, 30), {THANKSGIVING_2026})
    assert days == [date(2026, 11, d) for d in (20, 23, 24, 25, 27, 30)]
    assert business_days(date(2026, 11, 28), date(2026, 11, 29)) == []
    assert business_days(date(2026, 11, 30), date(2026, 11, 29)) == []


@pytest.mark.parametrize(
    ("after", "closed", "expected"),
    [
        pytest.param(date(2026, 11, 24), (), date(2026, 11, 25), id="tuesday"),
        pytest.param(date(2026, 11, 25), (THANKSGIVING_2026,), date(2026, 11, 27), id="over-a-holiday"),
        pytest.param(date(2026, 11, 27), (), date(2026, 11, 30), id="over-a-weekend"),
        pytest.param(date(2026, 11, 27), (date(2026, 11, 30),), date(2026, 12, 1), id="over-a-long-weekend"),
        pytest.param(date(2026, 11, 28), (), date(2026, 11, 30), id="from-a-saturday"),
    ],
)
def test_next_business_day(after: date, closed: tuple[date, ...], expected: date) -> None:
    assert next_business_day(after, closed) == expected


@given(st.dates(min_value=date(1970, 1, 1), max_value=date(2999, 12, 31)))
def test_a_week_starts_on_its_monday(day: date) -> None:
    monday = week_start(day)
    assert monday.weekday() == 0 and timedelta(0) <= day - monday < timedelta(days=7)


@given(st.dates(min_value=date(2026, 1, 1), max_value=date(2028, 12, 31)), st.sets(st.dates(), max_size=5))
def test_the_clock_and_the_day_rule_agree(day: date, closed: set[date]) -> None:
    hours = BusinessHours(holidays=frozenset(closed))
    assert hours.is_business_day(day) == is_business_day(day, closed) == (day.weekday() < 5 and day not in closed)
    assert (hours.open_interval(day) is not None) == is_business_day(day, closed)


# --- The team's holidays -------------------------------------------------------------------


@pytest.mark.django_db
def test_team_hours_are_the_first_rotations_zone_and_holidays_with_observed_days() -> None:
    team = Rotation.objects.create(name="Team", time_zone="America/New_York", start_date=date(2026, 11, 2))
    Rotation.objects.create(name="Other", time_zone="Europe/Berlin", holiday_country="DE", start_date=date(2026, 11, 2))
    CustomHoliday.objects.create(rotation=team, date=date(2026, 12, 24), name="Christmas Eve")
    CustomHoliday.objects.create(
        rotation=team, date=date(2026, 11, 11), name="Veterans Day", kind=CustomHolidayKind.REMOVAL
    )
    hours = team_business_hours(utc(2026, 11, 25, 12), opens=time(8), closes=time(16))
    assert (hours.tz_name, hours.opens, hours.closes) == ("America/New_York", time(8), time(16))
    assert {THANKSGIVING_2026, date(2026, 12, 24), date(2026, 12, 25)} <= hours.holidays
    assert date(2026, 7, 3) in hours.holidays  # Independence Day falls on a Saturday: observed on the Friday
    assert date(2026, 11, 11) not in hours.holidays  # removed by the rotation
    assert date(2027, 1, 1) in hours.holidays and date(2025, 12, 25) in hours.holidays  # the years either side
    assert team_closed_days(utc(2026, 11, 25, 12)) == hours.holidays


@pytest.mark.django_db
def test_without_a_rotation_the_team_works_in_utc_every_weekday() -> None:
    hours = team_business_hours(utc(2026, 11, 25, 12))
    assert hours == BusinessHours()
    assert team_closed_days() == frozenset()


# --- The spec's examples ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("opened", "holidays", "due"),
    [
        pytest.param(utc(2026, 11, 28, 10), (), utc(2026, 11, 30, 9, 15), id="saturday"),
        pytest.param(utc(2026, 11, 25, 16, 50), (), utc(2026, 11, 26, 9, 5), id="wednesday-late"),
        pytest.param(
            utc(2026, 11, 25, 16, 50), (THANKSGIVING_2026,), utc(2026, 11, 27, 9, 5), id="wednesday-late-thanksgiving"
        ),
        pytest.param(utc(2026, 11, 30, 8), (), utc(2026, 11, 30, 9, 15), id="monday-before-opening"),
        pytest.param(utc(2026, 11, 27, 17), (), utc(2026, 11, 30, 9, 15), id="friday-at-closing"),
    ],
)
def test_fifteen_minute_deadline(opened: datetime, holidays: tuple[date, ...], due: datetime) -> None:
    hours = BusinessHours(holidays=frozenset(holidays))
    assert add_business_minutes(opened, 15, hours) == due


@pytest.mark.parametrize(
    ("opened", "due", "offset"),
    [
        pytest.param(ny(2026, 3, 6, 16, 55), ny(2026, 3, 9, 9, 10), timedelta(hours=-4), id="spring-forward"),
        pytest.param(ny(2026, 10, 30, 16, 55), ny(2026, 11, 2, 9, 10), timedelta(hours=-5), id="fall-back"),
    ],
)
def test_deadline_across_dst_weekend_keeps_local_opening(opened: datetime, due: datetime, offset: timedelta) -> None:
    result = add_business_minutes(opened, 15, NY_HOURS)
    assert result == due
    assert result.tzinfo == NEW_YORK
    assert result.utcoffset() == offset
    assert (result.hour, result.minute) == (9, 10)


def test_full_week_is_forty_hours() -> None:
    assert business_minutes_between(utc(2026, 11, 16), utc(2026, 11, 23), UTC_HOURS) == 5 * 8 * 60


def test_week_with_one_holiday_weekday() -> None:
    hours = BusinessHours(holidays=frozenset({THANKSGIVING_2026}))
    assert business_minutes_between(utc(2026, 11, 23), utc(2026, 11, 30), hours) == 4 * 8 * 60


def test_weekend_holiday_changes_nothing() -> None:
    hours = BusinessHours(holidays=frozenset({date(2026, 11, 28)}))
    assert business_minutes_between(utc(2026, 11, 23), utc(2026, 11, 30), hours) == 2400


@pytest.mark.parametrize(("monday", "offset_hours"), [(date(2026, 3, 2), -5), (date(2026, 10, 26), -4)])
def test_dst_week_in_new_york_is_still_forty_hours(monday: date, offset_hours: int) -> None:
    start = datetime.combine(monday, time(), tzinfo=NEW_YORK)
    assert start.utcoffset() == timedelta(hours=offset_hours)
    assert business_minutes_between(start, start + timedelta(days=14), NY_HOURS) == 10 * 8 * 60


# --- Edges ----------------------------------------------------------------------------------


def test_deadline_landing_on_closing_stays_at_closing() -> None:
    assert add_business_minutes(utc(2026, 11, 25, 16, 50), 10, UTC_HOURS) == utc(2026, 11, 25, 17)


def test_zero_minutes_is_the_next_open_instant() -> None:
    assert add_business_minutes(utc(2026, 11, 25, 12, 34, 56), 0, UTC_HOURS) == utc(2026, 11, 25, 12, 34, 56)
    assert add_business_minutes(utc(2026, 11, 25, 9), 0, UTC_HOURS) == utc(2026, 11, 25, 9)
    assert add_business_minutes(utc(2026, 11, 25, 17), 0, UTC_HOURS) == utc(2026, 11, 26, 9)
    assert add_business_minutes(utc(2026, 11, 28, 10), 0, UTC_HOURS) == utc(2026, 11, 30, 9)


def test_interval_is_half_open() -> None:
    assert UTC_HOURS.is_open(utc(2026, 11, 25, 9))
    assert UTC_HOURS.is_open(utc(2026, 11, 25, 16, 59, 59, 999999))
    assert not UTC_HOURS.is_open(utc(2026, 11, 25, 17))
    assert not UTC_HOURS.is_open(utc(2026, 11, 25, 8, 59, 59, 999999))


def test_result_is_in_the_team_zone_whatever_the_input_zone() -> None:
    opened = ny(2026, 11, 25, 11, 50)  # 16:50 UTC
    result = add_business_minutes(opened, 15, UTC_HOURS)
    assert result == utc(2026, 11, 26, 9, 5)
    assert result.tzinfo == ZoneInfo("UTC")
    assert business_minutes_between(opened, result, UTC_HOURS) == 15


def test_seconds_are_kept() -> None:
    start = utc(2026, 11, 25, 16, 59, 30)
    assert business_minutes_between(start, utc(2026, 11, 26, 9, 0, 15), UTC_HOURS) == 0.75
    assert business_time_between(start, utc(2026, 11, 26, 9, 0, 15), UTC_HOURS) == timedelta(seconds=45)
    assert add_business_minutes(start, 0.75, UTC_HOURS) == utc(2026, 11, 26, 9, 0, 15)
    assert add_business_minutes(start, Fraction(3, 4), UTC_HOURS) == utc(2026, 11, 26, 9, 0, 15)
    assert add_business_time(start, timedelta(seconds=45), UTC_HOURS) == utc(2026, 11, 26, 9, 0, 15)


def test_end_not_after_start_is_zero() -> None:
    moment = utc(2026, 11, 25, 12)
    assert business_minutes_between(moment, moment, UTC_HOURS) == 0
    assert business_minutes_between(moment, moment - timedelta(hours=2), UTC_HOURS) == 0


def test_open_interval_is_aware_and_local() -> None:
    assert NY_HOURS.open_interval(date(2026, 3, 8)) is None  # a Sunday
    assert BusinessHours(holidays=frozenset({THANKSGIVING_2026})).open_interval(THANKSGIVING_2026) is None
    opening, closing = NY_HOURS.open_interval(date(2026, 3, 9))
    assert opening == ny(2026, 3, 9, 9) and closing == ny(2026, 3, 9, 17)
    assert opening.utcoffset() == timedelta(hours=-4)
    assert closing.astimezone(UTC) - opening.astimezone(UTC) == timedelta(hours=8)


@pytest.mark.parametrize(
    ("day", "length"), [(date(2026, 3, 8), timedelta(hours=3.5)), (date(2026, 11, 1), timedelta(hours=5.5))]
)
def test_interval_spanning_a_dst_change_counts_elapsed_time(day: date, length: timedelta) -> None:
    # 00:30–05:00 local is 4.5 hours on the wall clock but an hour less or more in real time.
    hours = BusinessHours(tz_name="America/New_York", opens=time(0, 30), closes=time(5), weekdays=frozenset(range(7)))
    opening, closing = hours.open_interval(day)
    assert business_time_between(opening, closing, hours) == length
    assert add_business_time(opening, length, hours) == closing


def test_days_are_local_dates_not_utc_dates() -> None:
    # 22:00 Monday in New York is already Tuesday in UTC; Monday's hours must still count.
    hours = BusinessHours(tz_name="America/New_York", opens=time(13), closes=time(23, 30))
    start = ny(2026, 11, 30, 22)
    assert start.astimezone(UTC).date() == date(2026, 12, 1)
    assert business_minutes_between(start, start + timedelta(hours=1), hours) == 60
    assert add_business_minutes(start, 60, hours) == ny(2026, 11, 30, 23)
    assert add_business_minutes(start, 120, hours) == ny(2026, 12, 1, 13, 30)


def test_year_in_one_call() -> None:
    # 2026 has 261 weekdays; a year's span is a few hundred steps, not half a million minutes.
    assert business_minutes_between(utc(2026, 1, 1), utc(2027, 1, 1), UTC_HOURS) == 261 * 480
    assert add_business_minutes(utc(2026, 1, 1), 261 * 480, UTC_HOURS) == utc(2026, 12, 31, 17)


def test_gives_up_when_no_business_day_in_ten_years() -> None:
    first_monday = date(2026, 11, 30)
    mondays = frozenset(first_monday + timedelta(weeks=week) for week in range(MAX_CLOSED_DAYS // 7 + 2))
    hours = BusinessHours(weekdays=frozenset({0}), holidays=mondays)
    with pytest.raises(ValueError, match="no business day"):
        add_business_minutes(utc(2026, 11, 29), 15, hours)
    assert business_minutes_between(utc(2026, 11, 29), utc(2036, 11, 29), hours) == 0


def test_rejects_naive_datetimes() -> None:
    naive = datetime(2026, 11, 25, 12)
    with pytest.raises(ValueError, match="timezone-aware"):
        add_business_minutes(naive, 15, UTC_HOURS)
    with pytest.raises(ValueError, match="timezone-aware"):
        business_minutes_between(naive, utc(2026, 11, 26), UTC_HOURS)
    with pytest.raises(ValueError, match="timezone-aware"):
        business_minutes_between(utc(2026, 11, 24), naive, UTC_HOURS)
    with pytest.raises(ValueError, match="timezone-aware"):
        UTC_HOURS.is_open(naive)


@pytest.mark.parametrize("minutes", [-1, -0.5, float("nan"), float("inf")])
def test_rejects_negative_or_non_finite_minutes(minutes: float) -> None:
    with pytest.raises(ValueError, match="minutes"):
        add_business_minutes(utc(2026, 11, 25, 12), minutes, UTC_HOURS)


def test_rejects_bool_minutes() -> None:
    with pytest.raises(TypeError):
        add_business_minutes(utc(2026, 11, 25, 12), True, UTC_HOURS)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"tz_name": "Mars/Olympus_Mons"},
        {"opens": time(17), "closes": time(9)},
        {"opens": time(9), "closes": time(9)},
        {"opens": time(9, tzinfo=UTC)},
        {"weekdays": frozenset()},
        {"weekdays": frozenset({7})},
        {"holidays": frozenset({datetime(2026, 11, 26, tzinfo=UTC)})},
    ],
)
def test_rejects_bad_configuration(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        BusinessHours(**kwargs)


def test_plain_sets_are_frozen() -> None:
    hours = BusinessHours(weekdays={0, 1}, holidays={THANKSGIVING_2026})  # type: ignore[arg-type]
    assert hours.weekdays == frozenset({0, 1}) and isinstance(hours.holidays, frozenset)
    assert hash(hours) == hash(BusinessHours(weekdays=frozenset({0, 1}), holidays=frozenset({THANKSGIVING_2026})))


# --- Properties -----------------------------------------------------------------------------

ZONES = ("UTC", "America/New_York", "Europe/London", "Australia/Sydney")
# DST changes in 2026 (New York, London, Sydney), plus a plain week and Thanksgiving week.
ANCHORS = (
    date(2026, 3, 8),
    date(2026, 3, 29),
    date(2026, 4, 5),
    date(2026, 10, 4),
    date(2026, 10, 25),
    date(2026, 11, 1),
    date(2026, 6, 17),
    date(2026, 11, 26),
)
# Shapes whose ends stay clear of the 01:00–03:00 local DST changes: the brute force judges
# each minute by its local wall-clock time, which matches the opening-to-closing interval only
# when neither end sits in a skipped or repeated hour.
SHAPES = (
    (time(9), time(17), frozenset(range(5))),
    (time(9), time(17), frozenset(range(7))),  # DST Sundays become business days
    (time(8, 30), time(12, 15), frozenset(range(6))),
    (time(3, 30), time(11), frozenset(range(7))),  # the local date differs from the UTC one
    (time(13), time(23, 30), frozenset(range(5))),  # likewise, on the other side of UTC
)
# Minutes of the local day at and around the edges, so boundaries come up often.
EDGE_MINUTES = tuple(
    sorted(
        {0, 23 * 60 + 59}
        | {edge.hour * 60 + edge.minute + delta for shape in SHAPES for edge in shape[:2] for delta in (-1, 0, 1)}
    )
)
# Minutes of a local day, landing on the edges a good share of the time.
day_minutes = st.one_of(st.sampled_from(EDGE_MINUTES), st.integers(0, 24 * 60 - 1))


def local_instant(day: date, minute: int, zone: ZoneInfo) -> datetime:
    """A whole-minute instant at `minute` past local midnight of `day`, as a UTC datetime.

    Round-tripping through UTC turns a wall time in a spring-forward gap into a real instant.
    """
    return datetime.combine(day, time(minute // 60, minute % 60), tzinfo=zone).astimezone(UTC)


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[BusinessHours, datetime]:
    """Business hours with holidays drawn from the days around a DST change, and a whole-minute
    start near that change, expressed in an arbitrary zone."""
    zone_name = draw(st.sampled_from(ZONES))
    zone = ZoneInfo(zone_name)
    anchor = draw(st.sampled_from(ANCHORS))
    day = anchor + timedelta(days=draw(st.integers(-5, 3)))
    start = local_instant(day, draw(day_minutes), zone).astimezone(ZoneInfo(draw(st.sampled_from(ZONES))))
    candidates = [anchor + timedelta(days=offset) for offset in range(-6, 16)]
    holidays = draw(st.frozensets(st.sampled_from(candidates), max_size=6))
    opens, closes, weekdays = draw(st.sampled_from(SHAPES))
    return BusinessHours(tz_name=zone_name, opens=opens, closes=closes, weekdays=weekdays, holidays=holidays), start


def brute_force_minutes(start: datetime, end: datetime, hours: BusinessHours) -> int:
    """Count the whole minutes [m, m+1) in [start, end) whose local wall time is open."""
    zone = hours.zone
    count = 0
    moment = start.astimezone(UTC)
    end = end.astimezone(UTC)
    while moment < end:
        local = moment.astimezone(zone)
        if (
            local.weekday() in hours.weekdays
            and local.date() not in hours.holidays
            and hours.opens <= local.time() < hours.closes
        ):
            count += 1
        moment += timedelta(minutes=1)
    return count


def is_business_instant_or_closing(instant: datetime, hours: BusinessHours) -> bool:
    local = instant.astimezone(hours.zone)
    return hours.is_business_day(local.date()) and hours.opens <= local.time() <= hours.closes


@settings(deadline=None, max_examples=120)
@given(scenarios(), st.integers(-1, 9), day_minutes)
def test_between_matches_brute_force(
    scenario: tuple[BusinessHours, datetime], end_day_offset: int, end_minute: int
) -> None:
    # Spans of up to ten days, ends on the edges often; an end before the start must give 0.
    hours, start = scenario
    end_day = start.astimezone(hours.zone).date() + timedelta(days=end_day_offset)
    end = local_instant(end_day, end_minute, hours.zone)
    assert business_minutes_between(start, end, hours) == brute_force_minutes(start, end, hours)


@settings(deadline=None, max_examples=200)
@given(scenarios(), st.integers(0, 3000))
def test_add_then_between_round_trips(scenario: tuple[BusinessHours, datetime], minutes: int) -> None:
    hours, start = scenario
    due = add_business_minutes(start, minutes, hours)
    assert due >= start
    assert due.tzinfo == hours.zone
    assert business_minutes_between(start, due, hours) == minutes
    # The earliest such instant: positive deadlines end in (opening, closing], a zero one is the
    # next open instant in [opening, closing), with no business time skipped before it.
    assert is_business_instant_or_closing(due, hours)
    if minutes > 0:
        assert business_time_between(start, due - timedelta(microseconds=1), hours) < timedelta(minutes=minutes)
    else:
        assert hours.is_open(due)


@settings(deadline=None, max_examples=150)
@given(scenarios(), st.floats(0, 3000, allow_nan=False, allow_infinity=False))
def test_fractional_minutes_round_trip_to_the_microsecond(
    scenario: tuple[BusinessHours, datetime], minutes: float
) -> None:
    hours, start = scenario
    due = add_business_minutes(start, minutes, hours)
    assert business_minutes_between(start, due, hours) == pytest.approx(minutes, abs=1e-6 / 60)


@settings(deadline=None, max_examples=150)
@given(scenarios(), st.integers(0, 3000), st.integers(0, 3000))
def test_more_minutes_never_come_due_earlier(scenario: tuple[BusinessHours, datetime], first: int, second: int) -> None:
    hours, start = scenario
    fewer, more = sorted((first, second))
    assert add_business_minutes(start, fewer, hours) <= add_business_minutes(start, more, hours)
