"""The SLA's rules over every run of a month: the brute-force oracle the stored figures are checked against.

The portal computes from what the database aggregates (`sla.facts`) and the pure rules over those facts
(`sla.rules.*_from_facts`); these functions feed the same rules from the full list of runs instead, so
a test can compare the two on any month it makes up.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import UTC, date, datetime

from oncall.calendar import BusinessHours
from pipelines import deliveries
from sla.rules import (
    DEFAULT_POLICY,
    SUCCESS,
    Availability,
    IncidentFact,
    MonthlySla,
    Quality,
    RunFact,
    RunRef,
    RunStatus,
    SlaPolicy,
    Timeliness,
    availability_from_facts,
    incident_response,
    month_bounds,
    monthly_sla,
    quality_from_candidates,
    scheduled_occurrences,
    timeliness_from_deliveries,
)


def availability(
    *,
    occurrences: Sequence[datetime],
    runs: Iterable[RunFact],
    start: datetime,
    end: datetime,
    now: datetime,
    policy: SlaPolicy,
) -> Availability:
    """`rules.availability_from_facts` fed from every run of the month (its docstring has the rules)."""
    month_times = frozenset(occurrences)
    succeeded: set[datetime] = set()
    attempts: dict[datetime, list[tuple[int, RunStatus]]] = {}
    unmatched: list[RunRef] = []
    for run in runs:
        if run.scheduled_for in month_times:
            if run.status == SUCCESS:
                succeeded.add(run.scheduled_for)
            attempts.setdefault(run.scheduled_for, []).append((run.id, run.status))
        elif start <= run.scheduled_for < end:
            unmatched.append(RunRef(run.id, run.external_id, run.scheduled_for))
    return availability_from_facts(
        occurrences=occurrences, succeeded=succeeded, attempts=attempts, unmatched=unmatched, now=now, policy=policy
    )


def delivery_time(run: RunFact) -> datetime | None:
    """When a run's data reached downstream (see `pipelines.deliveries.delivery_time`)."""
    return deliveries.delivery_time(run.data_available_at, run.finished_at)


def timeliness(
    *,
    runs: Iterable[RunFact],
    start: datetime,
    end: datetime,
    holidays: Collection[date],
    notice_days: Collection[date],
    now: datetime,
    policy: SlaPolicy,
) -> Timeliness:
    """`rules.timeliness_from_deliveries` fed from every run of the month (its docstring has the rules)."""
    return timeliness_from_deliveries(
        earliest=earliest_deliveries(runs),
        start=start,
        end=end,
        holidays=holidays,
        notice_days=notice_days,
        now=now,
        policy=policy,
    )


def earliest_deliveries(runs: Iterable[RunFact]) -> dict[date, datetime]:
    """Per UTC date of `scheduled_for`, the earliest delivery time of the successful runs."""
    earliest: dict[date, datetime] = {}
    for run in runs:
        if run.status != SUCCESS:
            continue
        delivered = delivery_time(run)
        if delivered is None:
            continue
        day = run.scheduled_for.astimezone(UTC).date()
        known = earliest.get(day)
        if known is None or delivered < known:
            earliest[day] = delivered
    return earliest


def data_quality(*, runs: Iterable[RunFact], start: datetime, end: datetime, policy: SlaPolicy) -> Quality:
    """`rules.quality_from_candidates` fed from every run of the month (its docstring has the rules)."""
    runs = tuple(runs)
    checked = sum(1 for run in runs if is_checked(run, start, end))
    return quality_from_candidates(checked_runs=checked, candidates=runs, start=start, end=end, policy=policy)


def is_checked(run: RunFact, start: datetime, end: datetime) -> bool:
    """A successful run scheduled in [start, end) that reports its total."""
    return run.status == SUCCESS and start <= run.scheduled_for < end and run.records_total is not None


def compute_month(
    *,
    year: int,
    month: int,
    cron: str,
    runs: Sequence[RunFact],
    incidents: Iterable[IncidentFact],
    notice_days: Collection[date],
    holidays: Collection[date],
    business_hours: BusinessHours,
    policy: SlaPolicy = DEFAULT_POLICY,
    now: datetime,
) -> MonthlySla:
    """One pipeline's SLA for a calendar month (UTC), as of `now`.

    compliant = availability_ok and timeliness_ok and quality_ok and response_ok.
    `runs` is read several times, so pass a list or tuple rather than a one-shot iterator.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    start, end = month_bounds(year, month)
    avail = availability(
        occurrences=scheduled_occurrences(cron, start, end), runs=runs, start=start, end=end, now=now, policy=policy
    )
    timely = timeliness(
        runs=runs, start=start, end=end, holidays=holidays, notice_days=notice_days, now=now, policy=policy
    )
    quality = data_quality(runs=runs, start=start, end=end, policy=policy)
    response = incident_response(
        incidents=incidents, start=start, end=end, business_hours=business_hours, now=now, policy=policy
    )
    return monthly_sla(avail, timely, quality, response)
