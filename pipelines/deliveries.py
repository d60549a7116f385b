"""The day's delivery, the one home of the rule.

A day's delivery is the earliest data_available_at (else finished_at) of a successful run scheduled
on that UTC date, counted once it has happened. A business day's deadline is missed when it has
passed with nothing delivered; weekends and the team's closed days have no deadline.
"""

from collections.abc import Collection, Iterable
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import Exists, Min, OuterRef
from django.db.models.functions import Coalesce

from oncall.calendar import is_business_day, next_business_day

from .choices import RunStatus
from .models import Pipeline, Run


def delivery_time(data_available_at: datetime | None, finished_at: datetime | None) -> datetime | None:
    """When a run's data reached downstream: data_available_at, else finished_at."""
    return data_available_at if data_available_at is not None else finished_at


def business_deadline(day: date, *, deadline: time, closed_days: Collection[date]) -> datetime | None:
    """The day's deadline (UTC), or None on a weekend or a closed day."""
    return datetime.combine(day, deadline, tzinfo=UTC) if is_business_day(day, closed_days) else None


def deadline_missed(
    delivered_at: datetime | None, *, day: date, now: datetime, deadline: time, closed_days: Collection[date]
) -> bool:
    """The business day's deadline has passed (08:00:00 itself is still on time) and nothing is delivered yet.

    `delivered_at` is the day's delivery as known at `now` (see `deliveries_on`).
    """
    due = business_deadline(day, deadline=deadline, closed_days=closed_days)
    return due is not None and now > due and delivered_at is None


def first_missed_deadline(
    last_delivery: datetime | None, *, now: datetime, deadline: time, closed_days: Collection[date]
) -> datetime | None:
    """The first business-day deadline (UTC) after the day of the last delivery, if `now` is past it.

    A delivery, on time or late, settles its own day; the next business day's deadline is the first
    one that can be missed.
    """
    if last_delivery is None:
        return None  # a pipeline that never delivered is not "delayed" yet: nothing to compare with
    day = next_business_day(last_delivery.astimezone(UTC).date(), closed_days)
    missed = datetime.combine(day, deadline, tzinfo=UTC)
    return missed if missed < now else None


def deliveries_on(day: date, *, now: datetime, pipeline_ids: Iterable[int] | None = None) -> dict[int, datetime]:
    """Each pipeline's delivery on `day` (UTC) as known at `now`: {pipeline id: earliest delivery}."""
    day_start = datetime.combine(day, time(0), tzinfo=UTC)
    runs = Run.objects.in_window(day_start, day_start + timedelta(days=1)).filter(status=RunStatus.SUCCESS)
    if pipeline_ids is not None:
        runs = runs.filter(pipeline_id__in=list(pipeline_ids))
    return dict(
        runs.annotate(delivered=Coalesce("data_available_at", "finished_at"))
        .filter(delivered__lte=now)
        .order_by()
        .values("pipeline_id")
        .annotate(first=Min("delivered"))
        .values_list("pipeline_id", "first")
    )


def pipelines_with_runs() -> set[int]:
    """Pipelines that have posted at least one run: the others are "no runs received", not late."""
    # One index probe per pipeline, rather than a DISTINCT over every run ever posted.
    has_runs = Exists(Run.objects.filter(pipeline_id=OuterRef("pk")))
    return set(Pipeline.objects.filter(has_runs).values_list("pk", flat=True))


def undelivered_on(
    day: date, *, now: datetime, deadline: time, closed_days: Collection[date], pipeline_ids: Iterable[int]
) -> list[int]:
    """Of `pipeline_ids`, those whose business-day deadline on `day` passed with nothing delivered."""
    pipeline_ids = list(pipeline_ids)
    if business_deadline(day, deadline=deadline, closed_days=closed_days) is None:
        return []
    delivered = deliveries_on(day, now=now, pipeline_ids=pipeline_ids)
    return [
        pk
        for pk in pipeline_ids
        if deadline_missed(delivered.get(pk), day=day, now=now, deadline=deadline, closed_days=closed_days)
    ]
