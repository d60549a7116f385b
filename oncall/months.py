"""Calendar months as the portal counts them: a month is named by its first day."""

from datetime import date

from dateutil.relativedelta import relativedelta


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def add_months(day: date, months: int) -> date:
    """The first day of the month `months` months after `day`'s (before it when negative)."""
    return first_of_month(day) + relativedelta(months=months)
