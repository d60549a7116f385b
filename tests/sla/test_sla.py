"""The monthly SLA arithmetic: hand-computed months per dimension, then a brute-force cross-check.

June 2024 is the hand-computed month: it starts on a Saturday, has 30 days, 20 weekdays, and
Juneteenth (Wednesday 19th) is the holiday. The daily schedule runs at 06:00 UTC.
"""

from __future__ import annotations

import calendar
import math
import random
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oncall.calendar import BusinessHours
from sla.rules import (
    FailedOccurrence,
    IncidentFact,
    LateDay,
    MonthlySla,
    QualityBreach,
    ResponseBreach,
    RunFact,
    RunRef,
    SlaPolicy,
    incident_response,
    month_bounds,
    scheduled_occurrences,
)
from tests.sla.oracle import availability, compute_month, data_quality, timeliness

DAILY = "0 6 * * *"
HOURLY = "0 * * * *"
NY = ZoneInfo("America/New_York")
JUNETEENTH = date(2024, 6, 19)
HOLIDAYS = frozenset({JUNETEENTH})
TEAM_HOURS = BusinessHours("America/New_York", holidays=HOLIDAYS)
POLICY = SlaPolicy()
AFTER_JUNE = datetime(2024, 7, 2, tzinfo=UTC)
JUNE_START, JUNE_END = month_bounds(2024, 6)

_UNSET = object()


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """An instant in June 2024, UTC."""
    return datetime(2024, 6, day, hour, minute, second, tzinfo=UTC)


def ny(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """An instant in June 2024, New York wall time (EDT, UTC-4)."""
    return datetime(2024, 6, day, hour, minute, second, tzinfo=NY)


def run(
    run_id: int,
    scheduled_for: datetime,
    status: str = "success",
    *,
    data: datetime | None = None,
    finished: datetime | None = None,
    total: int | None = 1000,
    dropped: int | None = 0,
    invalid: int | None = 0,
    nulls: int | None = 0,
) -> RunFact:
    return RunFact(
        id=run_id,
        external_id=f"ext-{run_id}",
        scheduled_for=scheduled_for,
        status=status,
        finished_at=finished,
        data_available_at=data,
        records_total=total,
        records_dropped=dropped,
        records_invalid=invalid,
        critical_nulls=nulls,
    )


SPECIAL_DAYS = {3, 4, 5, 6, 7, 10, 11, 12, 13, 15, 19, 20, 21, 24, 25, 26, 27}


def june_runs() -> list[RunFact]:
    """Every day delivers at 07:30 with 1000 clean records, except the edge cases below."""
    runs = [run(day * 10, at(day, 6), data=at(day, 7, 30), finished=at(day, 7, 25)) for day in range(1, 31)]
    runs = [r for r in runs if r.scheduled_for.day not in SPECIAL_DAYS]
    runs += [
        # Mon 3rd: the first attempt failed, the retry succeeded -> one success, on time.
        run(30, at(3, 6), "failed", finished=at(3, 6, 5), total=None),
        run(31, at(3, 6), data=at(3, 7, 30)),
        # Tue 4th: no run at all -> failure, and no delivery.
        # Wed 5th: only a failed attempt (with bad counts that must not be checked).
        run(50, at(5, 6), "failed", finished=at(5, 6, 10), total=10, dropped=10),
        # Thu 6th: data at exactly 08:00:00 -> on time.
        run(60, at(6, 6), data=at(6, 8)),
        # Fri 7th: 08:00:01 -> late, no notice needed.
        run(70, at(7, 6), data=at(7, 8, 0, 1)),
        # Mon 10th: exactly one hour late -> late, no notice needed; plus an ad-hoc run at 12:00
        # that matches no occurrence and reports no totals.
        run(100, at(10, 6), data=at(10, 9)),
        run(101, at(10, 12), data=at(10, 12, 30), total=None),
        # Tue 11th: one hour and one second late -> notice needed.
        run(110, at(11, 6), data=at(11, 9, 0, 1)),
        # Wed 12th: no data_available_at -> finished_at is the delivery.
        run(120, at(12, 6), finished=at(12, 7, 45)),
        # Thu 13th: two successful runs; the earliest delivery counts, not the first listed.
        run(130, at(13, 6), data=at(13, 8, 20)),
        run(131, at(13, 6), data=at(13, 7, 40)),
        # Sat 15th and the holiday: late deliveries that do not matter.
        run(150, at(15, 6), data=at(15, 11)),
        run(190, at(19, 6), data=at(19, 10)),
        # Thu 20th: exactly 0.1 % bad records -> passes.
        run(200, at(20, 6), data=at(20, 7, 30), total=1000, dropped=1),
        # Fri 21st: 1001 bad out of 1 000 000 (0.1001 %) -> breach.
        run(210, at(21, 6), data=at(21, 7, 30), total=1_000_000, dropped=500, invalid=501),
        # Mon 24th: one null critical field -> breach.
        run(240, at(24, 6), data=at(24, 7, 30), nulls=1),
        # Tue 25th: no totals -> unreported.
        run(250, at(25, 6), data=at(25, 7, 30), total=None),
        # Wed 26th: an empty run with nothing bad -> passes.
        run(260, at(26, 6), data=at(26, 7, 30), total=0),
        # Thu 27th: unknown dropped/invalid/null counts read as 0 -> passes.
        run(270, at(27, 6), data=at(27, 7, 30), total=50, dropped=None, invalid=None, nulls=None),
        # Outside the month: ignored by every dimension, not even "unmatched".
        run(1, datetime(2024, 5, 31, 6, tzinfo=UTC), data=datetime(2024, 5, 31, 12, tzinfo=UTC), total=None),
        run(2, datetime(2024, 7, 1, 6, tzinfo=UTC), data=datetime(2024, 7, 1, 12, tzinfo=UTC), total=None),
    ]
    return runs


def june_incidents() -> list[IncidentFact]:
    return [
        # Friday 16:55: five business minutes that day, ten on Monday -> due Mon 09:10.
        # Mitigated after 2h05 (resolved days later): the clock stops at mitigation.
        IncidentFact(1, "critical", ny(14, 16, 55), ny(17, 9, 5), mitigated_at=ny(14, 19), resolved_at=ny(17, 12)),
        # Same detection, acknowledged Mon 09:11 -> ack breach; resolved at exactly 3 h -> in time.
        IncidentFact(2, "critical", ny(14, 16, 55), ny(17, 9, 11), resolved_at=ny(14, 19, 55)),
        # In business hours: acknowledged at exactly 15 minutes; resolved 3 h + 1 s -> breach.
        IncidentFact(3, "critical", ny(20, 10), ny(20, 10, 15), resolved_at=ny(20, 13, 0, 1)),
        # Not critical: never measured.
        IncidentFact(4, "major", ny(21, 10)),
        # Detected in May: belongs to May's review.
        IncidentFact(5, "critical", datetime(2024, 5, 31, 23, tzinfo=UTC)),
        # Never acknowledged nor fixed, and the month is over: both deadlines breached.
        IncidentFact(6, "critical", ny(28, 9)),
    ]


def june(**overrides) -> MonthlySla:
    arguments = {
        "year": 2024,
        "month": 6,
        "cron": DAILY,
        "runs": june_runs(),
        "incidents": june_incidents(),
        "notice_days": {date(2024, 6, 5)},
        "holidays": HOLIDAYS,
        "business_hours": TEAM_HOURS,
        "policy": POLICY,
        "now": AFTER_JUNE,
    }
    arguments.update(overrides)
    return compute_month(**arguments)


# --------------------------------------------------------------------------- calendar


def test_month_bounds_are_half_open_utc_and_roll_over_the_year():
    assert month_bounds(2024, 2) == (datetime(2024, 2, 1, tzinfo=UTC), datetime(2024, 3, 1, tzinfo=UTC))
    assert month_bounds(2024, 12) == (datetime(2024, 12, 1, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC))
    with pytest.raises(ValueError):
        month_bounds(2024, 13)


def test_scheduled_occurrences_include_the_start_and_exclude_the_end():
    midnight = scheduled_occurrences("0 0 * * *", JUNE_START, JUNE_END)
    assert len(midnight) == 30
    assert midnight[0] == JUNE_START
    assert midnight[-1] == at(30, 0)
    assert len(scheduled_occurrences(HOURLY, JUNE_START, JUNE_END)) == 720
    # Leap February, hourly.
    assert len(scheduled_occurrences(HOURLY, *month_bounds(2024, 2))) == 29 * 24


def test_scheduled_occurrences_are_read_in_utc_whatever_zone_the_bounds_carry():
    start = JUNE_START.astimezone(NY)  # 2024-05-31 20:00 EDT
    assert scheduled_occurrences(DAILY, start, start + timedelta(days=1)) == [at(1, 6)]


# --------------------------------------------------------------------------- availability


def test_availability_of_the_hand_computed_month():
    sla = june()
    assert sla.scheduled_runs == 30
    # 28: the failed-then-retried 3rd counts, the missing 4th and failed 5th do not.
    assert sla.successful_runs == 28
    assert sla.availability_pct == Decimal("93.333")
    assert sla.availability_ok is False
    assert sla.error_budget == 0  # floor(30 x 0.005) = floor(0.15)
    assert sla.error_budget_left == -2
    assert sla.details.failed_occurrences == (
        FailedOccurrence(at(4, 6), "missing", ()),
        FailedOccurrence(at(5, 6), "failed", (50,)),
    )
    assert sla.details.unmatched_runs == (RunRef(101, "ext-101", at(10, 12)),)


def test_a_retry_still_running_is_reported_as_running():
    runs = [run(1, at(1, 6), "failed"), run(2, at(1, 6), "running"), run(3, at(2, 6), "running")]
    result = availability(
        occurrences=[at(1, 6), at(2, 6)], runs=runs, start=JUNE_START, end=JUNE_END, now=AFTER_JUNE, policy=POLICY
    )
    assert result.failed_occurrences == (
        FailedOccurrence(at(1, 6), "running", (1, 2)),
        FailedOccurrence(at(2, 6), "running", (3,)),
    )
    assert result.successful_runs == 0


def _availability_of(scheduled: int, failures: int, policy: SlaPolicy = POLICY):
    occurrences = [JUNE_START + timedelta(minutes=i) for i in range(scheduled)]
    runs = [run(i, moment, "failed" if i < failures else "success") for i, moment in enumerate(occurrences)]
    return availability(
        occurrences=occurrences, runs=runs, start=JUNE_START, end=JUNE_END, now=AFTER_JUNE, policy=policy
    )


@pytest.mark.parametrize(
    ("scheduled", "failures", "budget", "left", "ok", "pct"),
    [
        (30, 0, 0, 0, True, "100.000"),
        (30, 1, 0, -1, False, "96.666"),  # 96.6666...: rounded down, never up
        (720, 3, 3, 0, True, "99.583"),  # floor(3.6) = 3
        (720, 4, 3, -1, False, "99.444"),
        (200, 1, 1, 0, True, "99.500"),  # 200 x 0.005 is exactly 1, and 99.5 % meets 99.5 %
        (200, 2, 1, -1, False, "99.000"),
        (0, 0, 0, 0, True, "100.000"),  # nothing scheduled: nothing can fail
    ],
)
def test_error_budget_arithmetic(scheduled, failures, budget, left, ok, pct):
    result = _availability_of(scheduled, failures)
    assert (result.error_budget, result.error_budget_left) == (budget, left)
    assert result.availability_ok is ok
    assert result.availability_pct == Decimal(pct)
    assert str(result.availability_pct) == pct


def test_error_budget_is_exact_where_float_arithmetic_is_not():
    # In floats (100 - 99.9) / 100 x 1000 = 0.99999999999994..., which floors to 0.
    result = _availability_of(1000, 0, SlaPolicy(availability_target=Decimal("99.9")))
    assert result.error_budget == 1


def test_the_percentage_shown_never_rounds_up_to_the_target():
    # Rounded to the nearest 0.001, 99.49975 % would read 99.500 and look like it meets 99.5 %;
    # rounding down keeps the figure shown and the exact verdict in agreement.
    result = _availability_of(2002, 10)  # 1992 / 2002 = 99.50049... %
    assert result.availability_pct == Decimal("99.500")
    assert result.availability_ok is True
    result = _availability_of(1999, 10)  # 1989 / 1999 = 99.49974... %
    assert result.availability_pct == Decimal("99.499")
    assert result.availability_ok is False


def test_hourly_month_through_compute_month():
    occurrences = scheduled_occurrences(HOURLY, JUNE_START, JUNE_END)
    runs = [run(i, moment, "failed" if i % 200 == 7 else "success") for i, moment in enumerate(occurrences)]
    sla = june(cron=HOURLY, runs=runs, incidents=[])
    assert sla.scheduled_runs == 720
    assert sla.successful_runs == 716  # failures at i = 7, 207, 407, 607
    assert sla.error_budget == 3
    assert sla.error_budget_left == -1
    assert sla.availability_ok is False


# --------------------------------------------------------------------------- timeliness


def test_timeliness_of_the_hand_computed_month():
    sla = june()
    assert sla.business_days == 19  # 20 weekdays less Juneteenth
    assert sla.details.late_days == (
        LateDay(date(2024, 6, 4), None, notice_needed=True, notice_sent=False),
        LateDay(date(2024, 6, 5), None, notice_needed=True, notice_sent=True),
        LateDay(date(2024, 6, 7), at(7, 8, 0, 1), notice_needed=False, notice_sent=False),
        LateDay(date(2024, 6, 10), at(10, 9), notice_needed=False, notice_sent=False),
        LateDay(date(2024, 6, 11), at(11, 9, 0, 1), notice_needed=True, notice_sent=False),
    )
    assert sla.late_days == 5
    assert sla.details.uncommunicated_delays == (date(2024, 6, 4), date(2024, 6, 11))
    assert sla.uncommunicated_delays == 2
    assert sla.timeliness_ok is False


def test_a_weekday_holiday_is_not_a_business_day():
    with_holiday = timeliness(
        runs=june_runs(),
        start=JUNE_START,
        end=JUNE_END,
        holidays=HOLIDAYS,
        notice_days=set(),
        now=AFTER_JUNE,
        policy=POLICY,
    )
    without = timeliness(
        runs=june_runs(),
        start=JUNE_START,
        end=JUNE_END,
        holidays=set(),
        notice_days=set(),
        now=AFTER_JUNE,
        policy=POLICY,
    )
    assert with_holiday.business_days == 19
    assert without.business_days == 20
    # The holiday's 10:00 delivery only counts once the 19th is a business day.
    assert date(2024, 6, 19) not in [day.day for day in with_holiday.late_days]
    assert without.late_days[-1] == LateDay(date(2024, 6, 19), at(19, 10), notice_needed=True, notice_sent=False)


def test_a_clean_month_is_on_time_and_notices_alone_do_not_fix_lateness():
    clean = [run(day, at(day, 6), data=at(day, 7, 59, 59)) for day in range(1, 31)]
    result = timeliness(
        runs=clean,
        start=JUNE_START,
        end=JUNE_END,
        holidays=HOLIDAYS,
        notice_days=set(),
        now=AFTER_JUNE,
        policy=POLICY,
    )
    assert result.timeliness_ok is True
    assert result.late_days == ()
    late = [replace(r, data_available_at=at(3, 8, 30)) if r.id == 3 else r for r in clean]
    result = timeliness(
        runs=late,
        start=JUNE_START,
        end=JUNE_END,
        holidays=HOLIDAYS,
        notice_days={date(2024, 6, 3)},
        now=AFTER_JUNE,
        policy=POLICY,
    )
    assert result.timeliness_ok is False
    assert result.uncommunicated_delays == ()


# --------------------------------------------------------------------------- data quality


def test_quality_of_the_hand_computed_month():
    sla = june()
    # 30 successful runs scheduled in June (28 occurrences, a second success on the 13th, the
    # ad-hoc run), of which the ad-hoc run and the 25th report no totals.
    assert sla.checked_runs == 28
    assert sla.details.quality_breaches == (
        QualityBreach(210, "ext-210", at(21, 6), 1_000_000, 1001, 0),
        QualityBreach(240, "ext-240", at(24, 6), 1000, 0, 1),
    )
    assert sla.quality_breaches == 2
    assert sla.details.unreported_runs == (RunRef(101, "ext-101", at(10, 12)), RunRef(250, "ext-250", at(25, 6)))
    assert sla.unreported_runs == 2
    assert sla.quality_ok is False


@pytest.mark.parametrize(
    ("total", "dropped", "invalid", "nulls", "ok"),
    [
        (1000, 1, 0, 0, True),  # exactly 0.1 %
        (1000, 1, 1, 0, False),  # 0.2 %
        (1_000_000, 1000, 0, 0, True),  # exactly 0.1 %
        (1_000_000, 1000, 1, 0, False),  # 0.1001 %
        (0, 0, 0, 0, True),  # an empty run
        (0, 1, 0, 0, False),
        (1000, 0, 0, 1, False),  # a null critical field
        (1000, None, None, None, True),
    ],
)
def test_bad_records_limit_is_exact(total, dropped, invalid, nulls, ok):
    result = data_quality(
        runs=[run(1, at(1, 6), total=total, dropped=dropped, invalid=invalid, nulls=nulls)],
        start=JUNE_START,
        end=JUNE_END,
        policy=POLICY,
    )
    assert result.checked_runs == 1
    assert result.quality_ok is ok
    assert len(result.quality_breaches) == (0 if ok else 1)


def test_only_successful_runs_are_checked_and_missing_totals_never_pass():
    runs = [
        run(1, at(1, 6), "failed", total=None),
        run(2, at(2, 6), "running", total=None),
        run(3, at(3, 6), "failed", total=10, dropped=10),
    ]
    result = data_quality(runs=runs, start=JUNE_START, end=JUNE_END, policy=POLICY)
    assert (result.checked_runs, result.quality_breaches, result.unreported_runs) == (0, (), ())
    assert result.quality_ok is True
    result = data_quality(runs=[*runs, run(4, at(4, 6), total=None)], start=JUNE_START, end=JUNE_END, policy=POLICY)
    assert result.unreported_runs == (RunRef(4, "ext-4", at(4, 6)),)
    assert result.quality_ok is False


# --------------------------------------------------------------------------- incident response


def test_incident_response_of_the_hand_computed_month():
    sla = june()
    assert sla.critical_incidents == 4
    assert sla.details.ack_breaches == (
        ResponseBreach(2, ny(14, 16, 55), ny(17, 9, 10), ny(17, 9, 11)),
        ResponseBreach(6, ny(28, 9), ny(28, 9, 15), None),
    )
    assert sla.details.resolution_breaches == (
        ResponseBreach(3, ny(20, 10), ny(20, 13), ny(20, 13, 0, 1)),
        ResponseBreach(6, ny(28, 9), ny(28, 12), None),
    )
    assert (sla.ack_breaches, sla.resolution_breaches) == (2, 2)
    assert sla.response_ok is False


def test_friday_afternoon_incident_acknowledged_monday_morning():
    detected = ny(14, 16, 55)

    def respond(acknowledged_at: datetime):
        return incident_response(
            incidents=[IncidentFact(1, "critical", detected, acknowledged_at, resolved_at=ny(14, 17))],
            start=JUNE_START,
            end=JUNE_END,
            business_hours=TEAM_HOURS,
            now=AFTER_JUNE,
            policy=POLICY,
        )

    assert respond(ny(17, 9, 5)).response_ok is True
    assert respond(ny(17, 9, 10)).response_ok is True
    late = respond(ny(17, 9, 11))
    assert late.response_ok is False
    assert late.ack_breaches == (ResponseBreach(1, detected, ny(17, 9, 10), ny(17, 9, 11)),)
    assert late.resolution_breaches == ()


def test_open_incident_breaches_only_once_its_deadline_has_passed():
    incident = IncidentFact(1, "critical", ny(10, 10))

    def as_of(now: datetime):
        return incident_response(
            incidents=[incident], start=JUNE_START, end=JUNE_END, business_hours=TEAM_HOURS, now=now, policy=POLICY
        )

    assert as_of(ny(10, 10, 15)).response_ok is True  # at the deadline, not past it
    assert as_of(ny(10, 10, 15, 1)).ack_breaches == (ResponseBreach(1, ny(10, 10), ny(10, 10, 15), None),)
    assert as_of(ny(10, 10, 15, 1)).resolution_breaches == ()
    assert as_of(ny(10, 13)).resolution_breaches == ()
    assert as_of(ny(10, 13, 0, 1)).resolution_breaches == (ResponseBreach(1, ny(10, 10), ny(10, 13), None),)


# --------------------------------------------------------------------------- month to date


def test_month_to_date_counts_only_what_is_due():
    now = at(11, 8, 30)
    known = [r for r in june_runs() if r.scheduled_for < at(11, 0)]
    sla = june(runs=known, incidents=[], now=now)
    # Occurrences 1st..11th 06:00 are due; the 4th, 5th and the not-yet-delivered 11th fail.
    assert sla.scheduled_runs == 11
    assert sla.successful_runs == 8
    assert [f.scheduled_for for f in sla.details.failed_occurrences] == [at(4, 6), at(5, 6), at(11, 6)]
    assert sla.availability_pct == Decimal("72.727")
    # Business days through today: 3rd-7th, 10th, 11th.
    assert sla.business_days == 7
    assert [d.day for d in sla.details.late_days] == [date(2024, 6, d) for d in (4, 5, 7, 10, 11)]
    # 08:30 with nothing yet: late, but not yet an hour late.
    assert sla.details.late_days[-1] == LateDay(date(2024, 6, 11), None, notice_needed=False, notice_sent=False)
    assert sla.details.uncommunicated_delays == (date(2024, 6, 4),)
    assert (sla.checked_runs, sla.unreported_runs) == (8, 1)


@pytest.mark.parametrize(
    ("now", "late", "uncommunicated"),
    [
        (at(11, 7, 59), False, False),  # today's deadline is still ahead
        (at(11, 8), False, False),  # at the deadline, not past it
        (at(11, 8, 0, 1), True, False),
        (at(11, 9), True, False),  # exactly an hour: no notice due yet
        (at(11, 9, 0, 1), True, True),
    ],
)
def test_missing_delivery_today_becomes_late_then_needs_notice(now, late, uncommunicated):
    known = [r for r in june_runs() if r.scheduled_for < at(11, 0)]
    result = timeliness(
        runs=known, start=JUNE_START, end=JUNE_END, holidays=HOLIDAYS, notice_days=set(), now=now, policy=POLICY
    )
    assert result.business_days == 7
    assert (date(2024, 6, 11) in [d.day for d in result.late_days]) is late
    assert (date(2024, 6, 11) in result.uncommunicated_delays) is uncommunicated


# --------------------------------------------------------------------------- compliance


def clean_june(**overrides) -> MonthlySla:
    runs = [run(day, at(day, 6), data=at(day, 7, 30)) for day in range(1, 31)]
    arguments = {"runs": runs, "incidents": [IncidentFact(1, "critical", ny(3, 10), ny(3, 10, 5), ny(3, 11))]}
    arguments.update(overrides)
    return june(**arguments)


def test_a_clean_month_is_compliant():
    sla = clean_june()
    assert (sla.availability_ok, sla.timeliness_ok, sla.quality_ok, sla.response_ok) == (True, True, True, True)
    assert sla.availability_pct == Decimal("100.000")
    assert sla.critical_incidents == 1
    assert sla.compliant is True


@pytest.mark.parametrize("broken", ["availability_ok", "timeliness_ok", "quality_ok", "response_ok"])
def test_any_failing_dimension_breaks_compliance(broken):
    runs = [run(day, at(day, 6), data=at(day, 7, 30)) for day in range(1, 31)]
    incidents = [IncidentFact(1, "critical", ny(3, 10), ny(3, 10, 5), ny(3, 11))]
    if broken == "availability_ok":
        runs = [r for r in runs if r.id != 1]  # Saturday: availability only
    elif broken == "timeliness_ok":
        runs = [replace(r, data_available_at=at(3, 8, 1)) if r.id == 3 else r for r in runs]
    elif broken == "quality_ok":
        runs = [replace(r, critical_nulls=2) if r.id == 3 else r for r in runs]
    else:
        incidents = [IncidentFact(1, "critical", ny(3, 10), ny(3, 10, 16), ny(3, 11))]
    sla = clean_june(runs=runs, incidents=incidents)
    flags = {name: getattr(sla, name) for name in ("availability_ok", "timeliness_ok", "quality_ok", "response_ok")}
    assert flags == {name: name != broken for name in flags}
    assert sla.compliant is False


def test_naive_datetimes_and_float_percentages_are_refused():
    with pytest.raises(ValueError):
        run(1, datetime(2024, 6, 1, 6))
    with pytest.raises(TypeError):
        SlaPolicy(bad_records_pct=0.1)
    with pytest.raises(ValueError):
        clean_june(now=datetime(2024, 7, 2))


# --------------------------------------------------------------------------- brute force

# Crons whose times the naive side can list without a cron parser.
CRONS = {
    "17 6 * * *": lambda day: [datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=6, minutes=17)],
    "0 * * * *": lambda day: [
        datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=h) for h in range(24)
    ],
    "30 7 * * 1-5": lambda day: (
        [datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=7, minutes=30)]
        if day.weekday() < 5
        else []
    ),
}


def _random_runs(rng: random.Random, occurrences: list[datetime], start: datetime, end: datetime) -> list[RunFact]:
    runs: list[RunFact] = []

    def add(scheduled_for: datetime) -> None:
        status = rng.choice(["success", "success", "success", "failed", "running"])
        deadline = datetime.combine(scheduled_for.date(), datetime.min.time(), tzinfo=UTC) + timedelta(hours=8)
        # Deliveries cluster on the deadline and deadline + 1 h so the exact edges come up.
        delivery = rng.choice(
            [
                None,
                deadline,
                deadline + timedelta(seconds=1),
                deadline + timedelta(hours=1),
                deadline + timedelta(hours=1, seconds=1),
                scheduled_for + timedelta(minutes=rng.randrange(0, 300)),
            ]
        )
        finished = scheduled_for + timedelta(minutes=rng.randrange(1, 120)) if rng.random() < 0.8 else None
        data = delivery if rng.random() < 0.7 else None
        total = rng.choice([None, 0, 1000, 1_000_000, rng.randrange(0, 5000)])
        limit = (total or 0) // 1000
        runs.append(
            RunFact(
                id=len(runs),
                external_id=f"x{len(runs)}",
                scheduled_for=scheduled_for,
                status=status,
                finished_at=finished,
                data_available_at=data,
                records_total=total,
                records_dropped=rng.choice([None, 0, limit, limit + 1, limit // 2]),
                records_invalid=rng.choice([None, 0, 0, 1]),
                critical_nulls=rng.choice([None, 0, 0, 0, 1]),
            )
        )

    for moment in occurrences:
        for _ in range(rng.choice([0, 1, 1, 1, 2, 3])):
            add(moment)
    span = int((end - start).total_seconds())
    for _ in range(rng.randrange(0, 6)):  # ad-hoc runs at odd seconds, in and around the month
        add(start + timedelta(seconds=rng.randrange(-86_400, span + 86_400) | 1))
    rng.shuffle(runs)
    return runs


@st.composite
def random_months(draw):
    year = draw(st.integers(2023, 2026))
    month = draw(st.integers(1, 12))
    cron = draw(st.sampled_from(sorted(CRONS)))
    start, end = month_bounds(year, month)
    days_in_month = calendar.monthrange(year, month)[1]
    now = draw(
        st.one_of(
            st.just(end + timedelta(days=1)),
            st.integers(0, days_in_month * 24 * 60).map(lambda minutes: start + timedelta(minutes=minutes)),
            # Right on a day's deadline or deadline + 1 h, give or take a second.
            st.builds(
                lambda day, offset: start + timedelta(days=day, hours=8) + offset,
                st.integers(0, days_in_month - 1),
                st.sampled_from(
                    [timedelta(0), timedelta(seconds=1), timedelta(hours=1), timedelta(hours=1, seconds=1)]
                ),
            ),
        )
    )
    holidays = frozenset(date(year, month, d) for d in draw(st.sets(st.integers(1, days_in_month), max_size=4)))
    notice_days = frozenset(date(year, month, d) for d in draw(st.sets(st.integers(1, days_in_month), max_size=8)))
    seed = draw(st.integers(0, 2**32 - 1))
    return year, month, cron, now, holidays, notice_days, seed


def _naive_occurrences(cron: str, year: int, month: int) -> list[datetime]:
    days = [date(year, month, d) for d in range(1, calendar.monthrange(year, month)[1] + 1)]
    return [moment for day in days for moment in CRONS[cron](day)]


@settings(deadline=None, max_examples=100)
@given(random_months())
def test_matches_a_naive_row_by_row_count(case):
    year, month, cron, now, holidays, notice_days, seed = case
    start, end = month_bounds(year, month)
    occurrences = _naive_occurrences(cron, year, month)
    runs = _random_runs(random.Random(seed), occurrences, start, end)

    assert scheduled_occurrences(cron, start, end) == occurrences

    sla = compute_month(
        year=year,
        month=month,
        cron=cron,
        runs=runs,
        incidents=[],
        notice_days=notice_days,
        holidays=holidays,
        business_hours=TEAM_HOURS,
        policy=POLICY,
        now=now,
    )

    # Availability: for each due occurrence, scan every run.
    due = [moment for moment in occurrences if moment < now]
    successes = sum(1 for moment in due if any(r.scheduled_for == moment and r.status == "success" for r in runs))
    failures = len(due) - successes
    budget = math.floor(Fraction(len(due)) * (1 - Fraction(POLICY.availability_target) / 100))
    assert (sla.scheduled_runs, sla.successful_runs) == (len(due), successes)
    assert (sla.error_budget, sla.error_budget_left) == (budget, budget - failures)
    exact_pct = Fraction(100 * successes, len(due)) if due else Fraction(100)
    assert sla.availability_ok is (exact_pct >= Fraction(POLICY.availability_target))
    assert sla.availability_pct == Decimal(math.floor(exact_pct * 1000)) / 1000
    unmatched = [r for r in runs if start <= r.scheduled_for < end and r.scheduled_for not in occurrences]
    assert sorted(ref.run_id for ref in sla.details.unmatched_runs) == sorted(r.id for r in unmatched)

    # Quality: every run, on its own, in fractions.
    checked = breaches = unreported = 0
    for r in runs:
        if r.status != "success" or not start <= r.scheduled_for < end:
            continue
        if r.records_total is None:
            unreported += 1
            continue
        checked += 1
        bad = (r.records_dropped or 0) + (r.records_invalid or 0)
        over = bad > 0 if r.records_total == 0 else Fraction(bad * 100, r.records_total) > Fraction("0.1")
        breaches += over or (r.critical_nulls or 0) > 0
    assert (sla.checked_runs, sla.quality_breaches, sla.unreported_runs) == (checked, breaches, unreported)
    assert sla.quality_ok is (breaches == 0 and unreported == 0)

    # Timeliness: for each day, scan every run.
    business = late = uncommunicated = 0
    for d in range(1, calendar.monthrange(year, month)[1] + 1):
        day = date(year, month, d)
        if day.weekday() >= 5 or day in holidays or day > now.date():
            continue
        business += 1
        deadline = datetime(year, month, d, 8, tzinfo=UTC)
        deliveries = [
            r.data_available_at or r.finished_at
            for r in runs
            if r.status == "success" and r.scheduled_for.date() == day and (r.data_available_at or r.finished_at)
        ]
        if deliveries:
            delay = (min(deliveries) - deadline).total_seconds()
            day_late, needs_notice = delay > 0, delay > 3600
        else:
            waited = (now - deadline).total_seconds()
            day_late, needs_notice = waited > 0, waited > 3600
        late += day_late
        uncommunicated += needs_notice and day not in notice_days
    assert (sla.business_days, sla.late_days, sla.uncommunicated_delays) == (business, late, uncommunicated)
    assert sla.timeliness_ok is (late == 0)
    assert sla.compliant is (sla.availability_ok and late == 0 and sla.quality_ok)
