"""The years the portal covers: calendar pages, runs, SLA months and every date a manager types.

Wide enough for any real plan, narrow enough that "next month" or "a year later" never overflows.
"""

from datetime import UTC, date, datetime

from django.core.exceptions import ValidationError

FIRST_YEAR, LAST_YEAR = 1970, 2999
FIRST_INSTANT = datetime(FIRST_YEAR, 1, 1, tzinfo=UTC)
END_INSTANT = datetime(LAST_YEAR + 1, 1, 1, tzinfo=UTC)  # exclusive


def validate_supported_date(value: date | datetime) -> None:
    """A field validator: the date (or instant) falls within FIRST_YEAR…LAST_YEAR."""
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValidationError(f"Enter a date between {FIRST_YEAR} and {LAST_YEAR}.", code="unsupported_year")
