"""Calendar months as the portal counts them: a month is named by its first day and typed as YYYY-MM.

The one home of parsing a month, its bounds and month arithmetic; the years it may fall in are
`oncall.years`'.
"""

import re
from datetime import UTC, date, datetime

from dateutil.relativedelta import relativedelta

from .years import FIRST_YEAR, LAST_YEAR

MONTH_PATTERN = r"^(\d{4})-(\d{2})$"
"""A month as typed in a URL, a query or a form: 2026-11."""

NOT_A_MONTH = "Enter a month as YYYY-MM, e.g. 2026-11."
OUTSIDE_THE_YEARS = (
    f"Enter a month between {FIRST_YEAR}-01 and {LAST_YEAR}-12: "
    f"the portal covers nothing outside the years {FIRST_YEAR} to {LAST_YEAR}."
)


def parse_month(value: str) -> date:
    """ "2026-11" → date(2026, 11, 1).

    ValueError with `NOT_A_MONTH` for anything not shaped YYYY-MM, with `OUTSIDE_THE_YEARS` for a
    month number outside 01–12 or a year outside FIRST_YEAR–LAST_YEAR.
    """
    match = re.fullmatch(MONTH_PATTERN, value.strip())
    if match is None:
        raise ValueError(NOT_A_MONTH)
    year, month = int(match[1]), int(match[2])
    if not (FIRST_YEAR <= year <= LAST_YEAR and 1 <= month <= 12):
        raise ValueError(OUTSIDE_THE_YEARS)
    return date(year, month, 1)


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def add_months(day: date, months: int) -> date:
    """The first day of the month `months` months after `day`'s (before it when negative)."""
    return first_of_month(day) + relativedelta(months=months)


def month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    """[first of the month 00:00 UTC, first of the next month 00:00 UTC)."""
    if not 1 <= month <= 12:
        raise ValueError(f"month must be 1..12, got {month}")
    start = datetime(year, month, 1, tzinfo=UTC)
    return start, start + relativedelta(months=1)
