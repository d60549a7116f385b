"""Calendar months: parsing YYYY-MM, the month's bounds and month arithmetic."""

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oncall.months import (
    NOT_A_MONTH,
    OUTSIDE_THE_YEARS,
    add_months,
    first_of_month,
    month_bounds,
    parse_month,
)
from oncall.years import FIRST_YEAR, LAST_YEAR

PORTAL_DATES = st.dates(min_value=date(FIRST_YEAR, 1, 1), max_value=date(LAST_YEAR, 12, 31))


@pytest.mark.parametrize(
    ("text", "month"),
    [
        ("2026-11", date(2026, 11, 1)),
        (" 2026-01 ", date(2026, 1, 1)),
        ("1970-01", date(1970, 1, 1)),
        ("2999-12", date(2999, 12, 1)),
    ],
)
def test_parse_month(text: str, month: date) -> None:
    assert parse_month(text) == month


@pytest.mark.parametrize("text", ["", "October", "2026-1", "2026-011", "26-11", "2026-11-01", "2026/11", "2026-1x"])
def test_a_month_not_shaped_yyyy_mm_is_refused_with_one_message(text: str) -> None:
    with pytest.raises(ValueError) as refused:
        parse_month(text)
    assert str(refused.value) == NOT_A_MONTH == "Enter a month as YYYY-MM, e.g. 2026-11."


@pytest.mark.parametrize("text", ["2026-00", "2026-13", "1969-12", "3000-01", "0001-01", "9999-12"])
def test_a_month_outside_the_portals_years_is_refused_with_one_message(text: str) -> None:
    with pytest.raises(ValueError) as refused:
        parse_month(text)
    assert str(refused.value) == OUTSIDE_THE_YEARS
    assert "Enter a month between 1970-01 and 2999-12" in OUTSIDE_THE_YEARS


@given(PORTAL_DATES)
def test_parsing_reads_back_what_a_month_prints(day: date) -> None:
    assert parse_month(f"{day:%Y-%m}") == first_of_month(day)


def test_month_bounds_are_half_open_in_utc() -> None:
    assert month_bounds(2024, 2) == (datetime(2024, 2, 1, tzinfo=UTC), datetime(2024, 3, 1, tzinfo=UTC))
    assert month_bounds(2026, 12) == (datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
    assert month_bounds(LAST_YEAR, 12)[1] == datetime(LAST_YEAR + 1, 1, 1, tzinfo=UTC)
    for month in (0, 13):
        with pytest.raises(ValueError):
            month_bounds(2026, month)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 1)),
        (date(2026, 11, 25), 2, date(2027, 1, 1)),
        (date(2026, 3, 31), -1, date(2026, 2, 1)),
        (date(2026, 1, 15), -1, date(2025, 12, 1)),
        (date(2026, 11, 25), -12, date(2025, 11, 1)),
        (date(2026, 11, 25), 0, date(2026, 11, 1)),
    ],
)
def test_add_months_lands_on_the_first(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


@given(PORTAL_DATES, st.integers(-24, 24))
def test_a_months_bounds_meet_the_next_months(day: date, months: int) -> None:
    month = add_months(day, months)
    start, end = month_bounds(month.year, month.month)
    following = add_months(month, 1)
    assert start.date() == month and end == datetime(following.year, following.month, 1, tzinfo=UTC)
    assert add_months(add_months(day, months), -months) == first_of_month(day)
