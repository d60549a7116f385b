"""Pipeline run schedules: standard five-field cron expressions in UTC, read with croniter."""

from datetime import UTC, datetime

from croniter import CroniterBadDateError, croniter
from django.core.exceptions import ValidationError

# Starting points spread over a leap-year cycle: from each of them a schedule must fire within a year.
_PROBE_STARTS = tuple(datetime(year, month, 1, tzinfo=UTC) for year in range(2024, 2028) for month in range(1, 13))


def schedule_problem(expression: str) -> str | None:
    """Why `expression` cannot be a pipeline's schedule, or None when it can.

    Only the standard five fields (minute hour day month weekday): croniter also reads seconds and
    years, which would let a schedule fire every second and never let a month's SLA finish. It must
    also fire at least once a year (not “31 February”, not only on 29 February).
    """
    if not isinstance(expression, str) or len(expression.split()) != 5 or not croniter.is_valid(expression):
        return "Enter a standard cron expression of five fields (minute hour day month weekday), in UTC."
    for start in _PROBE_STARTS:
        try:
            croniter(expression, start, max_years_between_matches=1).get_next(datetime)
        except CroniterBadDateError:
            return "The schedule must run at least once a year."
    return None


def validate_schedule(expression: str) -> None:
    """The schedule field's validator, so forms, the admin, the API and `full_clean()` share the rule."""
    problem = schedule_problem(expression)
    if problem is not None:
        raise ValidationError(f"“{expression}” is not a schedule the portal can follow. {problem}", code="invalid")
