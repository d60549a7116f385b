"""The day's delivery, the one home of the rule: used by the SLA, delay notices, delay contacts, the
08:00 board and the missed-delivery incidents.

* A run belongs to the UTC date of its `scheduled_for` (schedules are cron expressions in UTC).
  That date's delivery is the earliest data_available_at (else finished_at) of its successful
  runs, counted once it has happened.
* A business day (see `oncall.calendar`) has a deadline: the policy's deadline time on that date's
  wall clock in the policy's `deadline_timezone`, as an instant (08:00 Europe/Paris is 07:00 UTC in
  winter and 06:00 UTC in summer). Data delivered at the deadline itself is on time.
* A business day's delivery is missing once its deadline has passed with nothing delivered;
  weekends and the team's closed days have no deadline.
"""

from collections.abc import Collection, Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Exists, Max, Min, OuterRef
from django.db.models.functions import Coalesce

from oncall.calendar import is_business_day, next_business_day

from .choices import RunStatus
from .models import Pipeline, Run


def delivery_time(data_available_at: datetime | None, finished_at: datetime | None) -> datetime | None:
    """When a run's data reached downstream: data_available_at, else finished_at."""
    return data_available_at if data_available_at is not None else finished_at


def delivery_time_expression() -> Coalesce:
    """`delivery_time` in the database, for queries over many runs."""
    return Coalesce("data_available_at", "finished_at")


def deadline_at(day: date, deadline: time, zone: str = "UTC") -> datetime:
    """`day`'s deadline instant, in UTC: `deadline` on the wall clock of `zone` that day.

    A wall-clock time a DST change skips or repeats is read with the offset in force before the
    change (zoneinfo's fold=0); a deadline in the early morning never meets one in practice.
    """
    return datetime.combine(day, deadline, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def business_deadline(
    day: date, *, deadline: time, closed_days: Collection[date], zone: str = "UTC"
) -> datetime | None:
    """The day's deadline instant (UTC), or None on a weekend or a closed day."""
    return deadline_at(day, deadline, zone) if is_business_day(day, closed_days) else None


def on_time(delivered_at: datetime, due: datetime) -> bool:
    """Delivered by the deadline; the deadline instant itself is still on time."""
    return delivered_at <= due


def delivery_state(delivered_at: datetime | None, *, due: datetime, now: datetime) -> str:
    """How a day's delivery stands at `now`: "on time", "late", "missing" (due and nothing yet) or "waiting"."""
    if delivered_at is not None:
        return "on time" if on_time(delivered_at, due) else "late"
    return "missing" if now > due else "waiting"


def deadline_missed(
    delivered_at: datetime | None,
    *,
    day: date,
    now: datetime,
    deadline: time,
    closed_days: Collection[date],
    zone: str = "UTC",
) -> bool:
    """The business day's deadline has passed (08:00:00 itself is still on time) and nothing is delivered yet.

    `delivered_at` is the day's delivery as known at `now` (see `deliveries_on`).
    """
    due = business_deadline(day, deadline=deadline, closed_days=closed_days, zone=zone)
    return due is not None and delivery_state(delivered_at, due=due, now=now) == "missing"


def first_missed_deadline(
    last_delivery: datetime | None,
    *,
    now: datetime,
    deadline: time,
    closed_days: Collection[date],
    zone: str = "UTC",
) -> datetime | None:
    """The first business-day deadline (UTC) after the day of the last delivery, if `now` is past it.

    A delivery, on time or late, settles its own day (its UTC date); the next business day's
    deadline is the first one that can be missed.
    """
    if last_delivery is None:
        return None  # a pipeline that never delivered is not "delayed" yet: nothing to compare with
    day = next_business_day(last_delivery.astimezone(UTC).date(), closed_days)
    missed = deadline_at(day, deadline, zone)
    return missed if missed < now else None


def deliveries_on(day: date, *, now: datetime, pipeline_ids: Iterable[int] | None = None) -> dict[int, datetime]:
    """Each pipeline's delivery on `day` (UTC) as known at `now`: {pipeline id: earliest delivery}."""
    day_start = datetime.combine(day, time(0), tzinfo=UTC)
    runs = Run.objects.in_window(day_start, day_start + timedelta(days=1)).filter(status=RunStatus.SUCCESS)
    if pipeline_ids is not None:
        runs = runs.filter(pipeline_id__in=list(pipeline_ids))
    return dict(
        runs.annotate(delivered=delivery_time_expression())
        .filter(delivered__lte=now)
        .order_by()
        .values("pipeline_id")
        .annotate(first=Min("delivered"))
        .values_list("pipeline_id", "first")
    )


def last_deliveries(*, now: datetime, pipeline_ids: Iterable[int]) -> dict[int, datetime]:
    """Each pipeline's latest delivery that has happened by `now`: {pipeline id: delivery}."""
    return dict(
        Run.objects.filter(pipeline_id__in=list(pipeline_ids), status=RunStatus.SUCCESS)
        .annotate(delivered=delivery_time_expression())
        .filter(delivered__lte=now)
        .order_by()
        .values("pipeline_id")
        .annotate(last=Max("delivered"))
        .values_list("pipeline_id", "last")
    )


def pipelines_with_runs(among: Collection[int] | None = None) -> set[int]:
    """Pipelines (of `among`, or all) that have posted at least one run: the others are "no runs received",
    not late."""
    if among is not None and not among:
        return set()
    # One index probe per pipeline, rather than a DISTINCT over every run ever posted.
    pipelines = Pipeline.objects.filter(Exists(Run.objects.filter(pipeline_id=OuterRef("pk"))))
    if among is not None:
        pipelines = pipelines.filter(pk__in=list(among))
    return set(pipelines.order_by().values_list("pk", flat=True))


def undelivered_on(
    day: date,
    *,
    now: datetime,
    deadline: time,
    closed_days: Collection[date],
    pipeline_ids: Iterable[int],
    zone: str = "UTC",
) -> list[int]:
    """Of `pipeline_ids`, those whose business-day deadline on `day` passed with nothing delivered."""
    pipeline_ids = list(pipeline_ids)
    if business_deadline(day, deadline=deadline, closed_days=closed_days, zone=zone) is None:
        return []
    delivered = deliveries_on(day, now=now, pipeline_ids=pipeline_ids)
    return [
        pk
        for pk in pipeline_ids
        if deadline_missed(delivered.get(pk), day=day, now=now, deadline=deadline, closed_days=closed_days, zone=zone)
    ]
