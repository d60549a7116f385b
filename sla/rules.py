"""The monthly SLA review as plain functions over plain values.

No Django and no ORM here: `sla.facts` has the database aggregate a month's runs into what
these rules read (succeeded occurrences, failed attempts, each day's delivery, the runs that may
breach quality), `sla.services` adds the critical incidents and the delay notices sent, calls
`compute_month_from_facts` once per pipeline and month, and stores the `MonthlySla` that comes
back. (`tests/sla/oracle.py` feeds the same rules from every run, to check the facts against.)

Everything is measured over one calendar month in UTC, [first of the month 00:00, first of
the next month 00:00), and everything takes `now` so the same call answers "month to date":
nothing that is still in the future at `now` counts for or against the pipeline.

The four dimensions (see each function for its exact rules):

* availability: every cron occurrence that is due needs a successful run for it;
* timeliness: every business day needs its data by the deadline (08:00 in the policy's zone,
  UTC in the plan), and delays of more than an hour need a notice to the stakeholders;
* data quality: every successful run reports its record counts and stays within 0.1 % bad
  records and no null critical fields;
* incident response: critical incidents are acknowledged within 15 business minutes and fixed
  (mitigated or resolved) within 3 wall-clock hours of detection.

Work per pipeline is O(runs + occurrences + incidents): runs are grouped with dicts once, and
a cron schedule's occurrences are computed once per (expression, month) and shared by every
pipeline with the same schedule.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_FLOOR, Decimal
from functools import lru_cache
from typing import Literal

from croniter import croniter_range

from oncall.calendar import BusinessHours, add_business_minutes, business_days
from oncall.months import month_bounds
from pipelines import deliveries

RunStatus = Literal["success", "failed", "running"]
FailureKind = Literal["failed", "running", "missing"]

SUCCESS: RunStatus = "success"
RUN_STATUSES: frozenset[str] = frozenset({"success", "failed", "running"})
CRITICAL = "critical"
"""The `IncidentFact.severity` that the incident-response rules apply to."""

# Availability is reported to the thousandth of a percent (e.g. 99.861).
PCT_QUANTUM = Decimal("0.001")
_HUNDRED = Decimal(100)


# --------------------------------------------------------------------------- inputs


def _require_aware(name: str, value: datetime | None) -> None:
    # A naive datetime never compares equal to an aware one, so a naive scheduled_for would
    # silently match no occurrence; refuse it up front instead.
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        raise ValueError(f"{name} must be an aware datetime, got {value!r}")


@dataclass(frozen=True, slots=True)
class SlaPolicy:
    """The SLA's numbers. Percentages are Decimals so every comparison is exact."""

    availability_target: Decimal = Decimal("99.5")
    """Percent of due scheduled runs that must succeed."""
    deadline: time = time(8, 0)
    """Time of day, on the wall clock of `deadline_timezone`, by which each business day's data must be available."""
    deadline_timezone: str = "UTC"
    """The IANA zone of `deadline` (see `pipelines.deliveries.deadline_at`)."""
    delay_threshold: timedelta = timedelta(hours=1)
    """A delivery later than deadline + this needs a delay notice (exactly this much does not)."""
    bad_records_pct: Decimal = Decimal("0.1")
    """Percent of a run's records that may be dropped or invalid (exactly this much passes)."""
    acknowledge_minutes: int = 15
    """Business minutes from detection to acknowledgement of a critical incident."""
    resolution: timedelta = timedelta(hours=3)
    """Wall-clock time from detection to mitigation or resolution of a critical incident."""

    def __post_init__(self) -> None:
        # A float here would carry binary rounding into every "exactly at the limit" check.
        for name in ("availability_target", "bad_records_pct"):
            if not isinstance(getattr(self, name), Decimal | int):
                raise TypeError(f"{name} must be a Decimal (or int), not {type(getattr(self, name)).__name__}")
        if not 0 <= self.availability_target <= 100:
            raise ValueError("availability_target is a percentage between 0 and 100")
        if self.bad_records_pct < 0:
            raise ValueError("bad_records_pct cannot be negative")
        if self.acknowledge_minutes < 0 or self.delay_threshold < timedelta(0) or self.resolution < timedelta(0):
            raise ValueError("durations cannot be negative")
        if self.deadline.tzinfo is not None:
            raise ValueError("deadline is a naive time of day, read in deadline_timezone")


@dataclass(frozen=True, slots=True)
class RunFact:
    """One run of a pipeline. Retries are separate runs sharing `scheduled_for`."""

    id: int
    external_id: str
    scheduled_for: datetime
    status: RunStatus
    finished_at: datetime | None = None
    data_available_at: datetime | None = None
    records_total: int | None = None
    records_dropped: int | None = None
    records_invalid: int | None = None
    critical_nulls: int | None = None

    def __post_init__(self) -> None:
        if self.status not in RUN_STATUSES:
            raise ValueError(f"unknown run status {self.status!r}")
        _require_aware("scheduled_for", self.scheduled_for)
        _require_aware("finished_at", self.finished_at)
        _require_aware("data_available_at", self.data_available_at)


@dataclass(frozen=True, slots=True)
class IncidentFact:
    """One incident of a pipeline; only `severity == "critical"` ones are measured."""

    id: int
    severity: str
    detected_at: datetime
    acknowledged_at: datetime | None = None
    mitigated_at: datetime | None = None
    resolved_at: datetime | None = None

    def __post_init__(self) -> None:
        _require_aware("detected_at", self.detected_at)
        _require_aware("acknowledged_at", self.acknowledged_at)
        _require_aware("mitigated_at", self.mitigated_at)
        _require_aware("resolved_at", self.resolved_at)

    @property
    def fixed_at(self) -> datetime | None:
        """The resolution clock stops at mitigation or resolution, whichever came first."""
        stops = [moment for moment in (self.mitigated_at, self.resolved_at) if moment is not None]
        return min(stops) if stops else None


# --------------------------------------------------------------------------- details


@dataclass(frozen=True, slots=True)
class RunRef:
    """A run named in a detail list."""

    run_id: int
    external_id: str
    scheduled_for: datetime


@dataclass(frozen=True, slots=True)
class FailedOccurrence:
    """A due occurrence without a successful run.

    `status` is "missing" when no run exists, "running" when an attempt is still running,
    otherwise "failed"; `run_ids` lists every attempt.
    """

    scheduled_for: datetime
    status: FailureKind
    run_ids: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class LateDay:
    """A business day whose data came after the deadline (`delivered_at` None: not yet)."""

    day: date
    delivered_at: datetime | None
    notice_needed: bool
    notice_sent: bool


@dataclass(frozen=True, slots=True)
class QualityBreach:
    """A checked run over the bad-records limit or with null critical fields."""

    run_id: int
    external_id: str
    scheduled_for: datetime
    records_total: int
    bad_records: int
    critical_nulls: int


@dataclass(frozen=True, slots=True)
class ResponseBreach:
    """A critical incident that missed a deadline (`actual` None: still not done at `now`)."""

    incident_id: int
    detected_at: datetime
    deadline: datetime
    actual: datetime | None


# --------------------------------------------------------------------------- per-dimension results


@dataclass(frozen=True, slots=True)
class Availability:
    """Availability of the due occurrences; see `availability_from_facts`."""

    scheduled_runs: int
    successful_runs: int
    availability_pct: Decimal
    availability_ok: bool
    error_budget: int
    error_budget_left: int
    failed_occurrences: tuple[FailedOccurrence, ...]
    unmatched_runs: tuple[RunRef, ...]


@dataclass(frozen=True, slots=True)
class Timeliness:
    """Delivery by the daily deadline; see `timeliness_from_deliveries`."""

    business_days: int
    late_days: tuple[LateDay, ...]
    uncommunicated_delays: tuple[date, ...]
    timeliness_ok: bool


@dataclass(frozen=True, slots=True)
class Quality:
    """Record counts of the successful runs; see `quality_from_candidates`."""

    checked_runs: int
    quality_breaches: tuple[QualityBreach, ...]
    unreported_runs: tuple[RunRef, ...]
    quality_ok: bool


@dataclass(frozen=True, slots=True)
class Response:
    """Deadlines of the critical incidents; see `incident_response`."""

    critical_incidents: int
    ack_breaches: tuple[ResponseBreach, ...]
    resolution_breaches: tuple[ResponseBreach, ...]
    response_ok: bool


@dataclass(frozen=True, slots=True)
class SlaDetails:
    """The lists behind `MonthlySla`'s counts."""

    failed_occurrences: tuple[FailedOccurrence, ...] = ()
    unmatched_runs: tuple[RunRef, ...] = ()
    late_days: tuple[LateDay, ...] = ()
    uncommunicated_delays: tuple[date, ...] = ()
    quality_breaches: tuple[QualityBreach, ...] = ()
    unreported_runs: tuple[RunRef, ...] = ()
    ack_breaches: tuple[ResponseBreach, ...] = ()
    resolution_breaches: tuple[ResponseBreach, ...] = ()


@dataclass(frozen=True, slots=True)
class MonthlySla:
    """One pipeline's month. Field names are the API's; list-valued facts live in `details`."""

    scheduled_runs: int
    successful_runs: int
    availability_pct: Decimal
    availability_ok: bool
    error_budget: int
    error_budget_left: int
    business_days: int
    late_days: int
    uncommunicated_delays: int
    timeliness_ok: bool
    checked_runs: int
    quality_breaches: int
    unreported_runs: int
    quality_ok: bool
    critical_incidents: int
    ack_breaches: int
    resolution_breaches: int
    response_ok: bool
    compliant: bool
    details: SlaDetails = field(default_factory=SlaDetails)


DEFAULT_POLICY = SlaPolicy()


# --------------------------------------------------------------------------- calendar


def scheduled_occurrences(cron: str, start: datetime, end: datetime) -> list[datetime]:
    """The cron expression's times in [start, end), evaluated in UTC."""
    _require_aware("start", start)
    _require_aware("end", end)
    return list(_occurrences(cron, start.astimezone(UTC), end.astimezone(UTC)))


@lru_cache(maxsize=256)
def _occurrences(cron: str, start: datetime, end: datetime) -> tuple[datetime, ...]:
    # croniter takes ~25 ms for a month of hourly times; a thousand pipelines mostly share a
    # handful of schedules, so each (expression, month) is expanded once.
    if start >= end:
        return ()
    # croniter_range includes both ends; the month is half-open, so drop a time equal to `end`.
    return tuple(moment for moment in croniter_range(start, end, cron) if moment < end)


# --------------------------------------------------------------------------- availability


def availability_from_facts(
    *,
    occurrences: Sequence[datetime],
    succeeded: Collection[datetime],
    attempts: Mapping[datetime, Sequence[tuple[int, RunStatus]]],
    unmatched: Iterable[RunRef],
    now: datetime,
    policy: SlaPolicy,
) -> Availability:
    """Share of due occurrences with a successful run, from what the rules read of the runs.

    * An occurrence is due when it is before `now` (all of them, for a finished month).
    * It succeeds if any run with that `scheduled_for` succeeded, so a failed attempt followed
      by a successful retry is one success; no run at all is a failure.
    * Runs scheduled in [start, end) that match no occurrence are listed as unmatched and
      otherwise ignored; runs for occurrences not yet due are ignored.
    * availability_pct = 100 x successful / scheduled, rounded down to 0.001 so the figure
      shown never reads as meeting the target when the exact ratio does not (the target has at
      most three decimals); with nothing scheduled it is 100.
    * availability_ok compares the exact ratio: successful x 100 >= target x scheduled.
    * error_budget = floor(scheduled x (100 - target) / 100) failures, in exact arithmetic;
      error_budget_left = error_budget - failures, negative when overspent.

    What it reads of the runs:

    * `succeeded`: the `scheduled_for` times with a successful run (times that are not
      occurrences are ignored).
    * `attempts`: (run id, status) of the runs per `scheduled_for`, in the order to list them;
      only read for due occurrences missing from `succeeded`, where every run is a failed or
      running attempt, so it may hold just the runs that did not succeed.
    * `unmatched`: the runs scheduled in the month at a time that is no occurrence.
    """
    scheduled = 0
    failed: list[FailedOccurrence] = []
    for moment in occurrences:
        if moment >= now:
            continue
        scheduled += 1
        if moment in succeeded:
            continue
        tries = attempts.get(moment)
        if not tries:
            failed.append(FailedOccurrence(moment, "missing"))
            continue
        kind: FailureKind = "running" if any(status == "running" for _, status in tries) else "failed"
        failed.append(FailedOccurrence(moment, kind, tuple(run_id for run_id, _ in tries)))

    successful = scheduled - len(failed)
    target = Decimal(policy.availability_target)
    if scheduled:
        pct = (_HUNDRED * successful / scheduled).quantize(PCT_QUANTUM, rounding=ROUND_FLOOR)
    else:
        pct = _HUNDRED.quantize(PCT_QUANTUM)
    # scheduled x (100 - target) is an exact Decimal product; dividing by 100 only shifts the
    # exponent, so the floor is exact (30 x 0.5 / 100 = 0.15 -> 0, 200 x 0.5 / 100 = 1.00 -> 1).
    budget = int((scheduled * (_HUNDRED - target) / _HUNDRED).to_integral_value(rounding=ROUND_FLOOR))
    return Availability(
        scheduled_runs=scheduled,
        successful_runs=successful,
        availability_pct=pct,
        availability_ok=successful * _HUNDRED >= target * scheduled,
        error_budget=budget,
        error_budget_left=budget - len(failed),
        failed_occurrences=tuple(failed),
        unmatched_runs=tuple(sorted(unmatched, key=lambda ref: (ref.scheduled_for, ref.run_id))),
    )


# --------------------------------------------------------------------------- timeliness


def timeliness_from_deliveries(
    *,
    earliest: Mapping[date, datetime],
    start: datetime,
    end: datetime,
    holidays: Collection[date],
    notice_days: Collection[date],
    now: datetime,
    policy: SlaPolicy,
) -> Timeliness:
    """Business days whose data came after the deadline, from each day's earliest delivery (`earliest`).

    * Business days are Mon-Fri in the month and not in `holidays`; days after `now`'s UTC
      date are not evaluated yet, and `business_days` counts the evaluated ones.
    * A day's delivery is the earliest delivery time of the successful runs whose
      `scheduled_for` falls on that UTC date (runs with neither timestamp deliver nothing).
    * The deadline is the policy's time of day in its zone; delivered exactly at it is on time.
    * Late: delivered after the deadline, or nothing delivered and `now` is past the deadline
      (before it, today is still pending).
    * A notice is needed when the delay exceeds the threshold (exactly the threshold does
      not), or when nothing is delivered and `now` is past deadline + threshold.
    * A needed notice is uncommunicated unless the day is in `notice_days`.
    * timeliness_ok: no late business day; uncommunicated delays are reported, not folded in.
    """
    today = now.astimezone(UTC).date()
    last = (end.astimezone(UTC) - timedelta(microseconds=1)).date()
    evaluated = [day for day in business_days(start.astimezone(UTC).date(), last, holidays) if day <= today]
    late: list[LateDay] = []
    for day in evaluated:
        deadline = deliveries.deadline_at(day, policy.deadline, policy.deadline_timezone)
        delivered = earliest.get(day)
        if delivered is None:
            is_late = now > deadline
            needs_notice = now > deadline + policy.delay_threshold
        else:
            is_late = delivered > deadline
            needs_notice = delivered - deadline > policy.delay_threshold
        if is_late:
            late.append(LateDay(day, delivered, needs_notice, day in notice_days))
    uncommunicated = tuple(entry.day for entry in late if entry.notice_needed and not entry.notice_sent)
    return Timeliness(
        business_days=len(evaluated),
        late_days=tuple(late),
        uncommunicated_delays=uncommunicated,
        timeliness_ok=not late,
    )


# --------------------------------------------------------------------------- data quality


def quality_from_candidates(
    *, checked_runs: int, candidates: Iterable[RunFact], start: datetime, end: datetime, policy: SlaPolicy
) -> Quality:
    """Record counts of the month's successful runs.

    * Checked: successful runs scheduled in [start, end) that report `records_total`
      (retries included, matched to an occurrence or not). Failed and running runs are not
      checked; successful runs without a total are unreported, which never passes.
    * Breach: (dropped + invalid) x 100 > total x bad_records_pct (exactly the limit passes;
      a total of 0 with no bad records passes), or critical_nulls > 0. Missing dropped,
      invalid or null counts are read as 0.
    * quality_ok: no breach and no unreported run.

    `candidates` must hold every successful run of the month that is unreported or over the
    limits; any other run in it is tested by the same rules and passes or is skipped.
    """
    # limit = numerator / denominator exactly, so the comparison stays in integers:
    # bad x 100 > total x limit  <=>  bad x 100 x denominator > total x numerator.
    numerator, denominator = Decimal(policy.bad_records_pct).as_integer_ratio()
    breaches: list[QualityBreach] = []
    unreported: list[RunRef] = []
    for run in candidates:
        if run.status != SUCCESS or not start <= run.scheduled_for < end:
            continue
        if run.records_total is None:
            unreported.append(RunRef(run.id, run.external_id, run.scheduled_for))
            continue
        bad = (run.records_dropped or 0) + (run.records_invalid or 0)
        nulls = run.critical_nulls or 0
        if bad * 100 * denominator > run.records_total * numerator or nulls > 0:
            breaches.append(QualityBreach(run.id, run.external_id, run.scheduled_for, run.records_total, bad, nulls))
    breaches.sort(key=lambda breach: (breach.scheduled_for, breach.run_id))
    unreported.sort(key=lambda ref: (ref.scheduled_for, ref.run_id))
    return Quality(
        checked_runs=checked_runs,
        quality_breaches=tuple(breaches),
        unreported_runs=tuple(unreported),
        quality_ok=not breaches and not unreported,
    )


# --------------------------------------------------------------------------- incident response


def incident_response(
    *,
    incidents: Iterable[IncidentFact],
    start: datetime,
    end: datetime,
    business_hours: BusinessHours,
    now: datetime,
    policy: SlaPolicy,
) -> Response:
    """Deadlines of the critical incidents detected in [start, end).

    * Acknowledge by detection + `acknowledge_minutes` business minutes (the team's business
      hours and holidays), so an incident at Friday 16:55 is due Monday 09:10.
    * Fix (mitigate or resolve, whichever came first) by detection + `resolution`, wall time.
    * A deadline is breached when the action came after it (exactly at it is in time), or when
      `now` is past it with no action yet; a deadline still ahead with nothing done is not.
    * response_ok: no breach of either kind.
    """
    critical = sorted(
        (incident for incident in incidents if incident.severity == CRITICAL and start <= incident.detected_at < end),
        key=lambda incident: (incident.detected_at, incident.id),
    )
    ack_breaches: list[ResponseBreach] = []
    fix_breaches: list[ResponseBreach] = []
    for incident in critical:
        ack_due = add_business_minutes(incident.detected_at, policy.acknowledge_minutes, business_hours)
        if _missed(ack_due, incident.acknowledged_at, now):
            ack_breaches.append(ResponseBreach(incident.id, incident.detected_at, ack_due, incident.acknowledged_at))
        fix_due = incident.detected_at + policy.resolution
        fixed_at = incident.fixed_at
        if _missed(fix_due, fixed_at, now):
            fix_breaches.append(ResponseBreach(incident.id, incident.detected_at, fix_due, fixed_at))
    return Response(
        critical_incidents=len(critical),
        ack_breaches=tuple(ack_breaches),
        resolution_breaches=tuple(fix_breaches),
        response_ok=not ack_breaches and not fix_breaches,
    )


def _missed(deadline: datetime, done_at: datetime | None, now: datetime) -> bool:
    # Done late, or not done and the deadline is behind us; not done yet but still in time is fine.
    return done_at > deadline if done_at is not None else now > deadline


# --------------------------------------------------------------------------- the month


def compute_month_from_facts(
    *,
    year: int,
    month: int,
    cron: str,
    succeeded: Collection[datetime],
    attempts: Mapping[datetime, Sequence[tuple[int, RunStatus]]],
    unmatched: Iterable[RunRef],
    earliest: Mapping[date, datetime],
    checked_runs: int,
    quality_candidates: Iterable[RunFact],
    incidents: Iterable[IncidentFact],
    notice_days: Collection[date],
    holidays: Collection[date],
    business_hours: BusinessHours,
    policy: SlaPolicy = DEFAULT_POLICY,
    now: datetime,
) -> MonthlySla:
    """One pipeline's SLA for a calendar month (UTC) as of `now`, from what the rules read of its runs.

    The run facts are those of `availability_from_facts` (succeeded, attempts, unmatched),
    `timeliness_from_deliveries` (earliest) and `quality_from_candidates` (checked_runs,
    quality_candidates). compliant = availability_ok and timeliness_ok and quality_ok and response_ok.
    """
    _require_aware("now", now)
    start, end = month_bounds(year, month)
    avail = availability_from_facts(
        occurrences=_occurrences(cron, start, end),
        succeeded=succeeded,
        attempts=attempts,
        unmatched=unmatched,
        now=now,
        policy=policy,
    )
    timely = timeliness_from_deliveries(
        earliest=earliest, start=start, end=end, holidays=holidays, notice_days=notice_days, now=now, policy=policy
    )
    quality = quality_from_candidates(
        checked_runs=checked_runs, candidates=quality_candidates, start=start, end=end, policy=policy
    )
    response = incident_response(
        incidents=incidents, start=start, end=end, business_hours=business_hours, now=now, policy=policy
    )
    return monthly_sla(avail, timely, quality, response)


def monthly_sla(avail: Availability, timely: Timeliness, quality: Quality, response: Response) -> MonthlySla:
    """The month from its four dimensions: compliant when all four are ok."""
    return MonthlySla(
        scheduled_runs=avail.scheduled_runs,
        successful_runs=avail.successful_runs,
        availability_pct=avail.availability_pct,
        availability_ok=avail.availability_ok,
        error_budget=avail.error_budget,
        error_budget_left=avail.error_budget_left,
        business_days=timely.business_days,
        late_days=len(timely.late_days),
        uncommunicated_delays=len(timely.uncommunicated_delays),
        timeliness_ok=timely.timeliness_ok,
        checked_runs=quality.checked_runs,
        quality_breaches=len(quality.quality_breaches),
        unreported_runs=len(quality.unreported_runs),
        quality_ok=quality.quality_ok,
        critical_incidents=response.critical_incidents,
        ack_breaches=len(response.ack_breaches),
        resolution_breaches=len(response.resolution_breaches),
        response_ok=response.response_ok,
        compliant=avail.availability_ok and timely.timeliness_ok and quality.quality_ok and response.response_ok,
        details=SlaDetails(
            failed_occurrences=avail.failed_occurrences,
            unmatched_runs=avail.unmatched_runs,
            late_days=timely.late_days,
            uncommunicated_delays=timely.uncommunicated_delays,
            quality_breaches=quality.quality_breaches,
            unreported_runs=quality.unreported_runs,
            ack_breaches=response.ack_breaches,
            resolution_breaches=response.resolution_breaches,
        ),
    )
