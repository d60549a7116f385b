"""Pipeline run schedules: cron expressions in UTC, read with croniter."""

from croniter import croniter


def is_valid_schedule(expression: str) -> bool:
    return croniter.is_valid(expression)
