"""What the SLA rules read of the runs of a month, with the database doing the per-run work."""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import reduce
from operator import or_

from django.db.models import Count, DecimalField, Exists, F, Min, OuterRef, Q
from django.db.models.functions import Cast, Coalesce, TruncDate

from pipelines import deliveries
from pipelines.choices import RunStatus
from pipelines.models import Pipeline, Run

from . import rules


@dataclass
class RunFacts:
    """What the SLA rules read of one pipeline's runs in a month (see `rules.compute_month_from_facts`)."""

    succeeded: frozenset[datetime] = frozenset()
    attempts: dict[datetime, list[tuple[int, str]]] = field(default_factory=dict)
    unmatched: list[rules.RunRef] = field(default_factory=list)
    earliest: dict[date, datetime] = field(default_factory=dict)
    checked_runs: int = 0
    candidates: list[rules.RunFact] = field(default_factory=list)


def run_facts(
    pipelines: list[Pipeline], start: datetime, end: datetime, policy: rules.SlaPolicy, now: datetime
) -> dict[int, RunFacts]:
    """Each pipeline's run facts for [start, end) as of `now`, with the database doing the per-run work.

    A month of hourly runs for a thousand pipelines is 720,000 rows; bringing them all over costs
    far more than the rules themselves, so only aggregates and the few runs named in details come back.
    """
    facts: defaultdict[int, RunFacts] = defaultdict(RunFacts)
    times_per_day = _delivery_and_quality_facts(facts, start, end, policy, now)
    attempts = _unsucceeded_attempts(start, end)
    by_schedule: defaultdict[str, list[int]] = defaultdict(list)
    for pipeline in pipelines:
        by_schedule[pipeline.schedule].append(pipeline.pk)
    for cron, pks in by_schedule.items():
        occurrences = rules.scheduled_occurrences(cron, start, end)
        _availability_facts(facts, pks, occurrences, start, end, now, times_per_day, attempts)
    return facts


def _unsucceeded_attempts(start: datetime, end: datetime) -> dict[int, dict[datetime, list[tuple[int, str]]]]:
    """Every pipeline's failed or running runs in [start, end) with no successful retry, by scheduled time
    (run id and status, in the model's order, as the run list shows them): one query for all schedules."""
    retried = Run.objects.filter(
        pipeline_id=OuterRef("pipeline_id"), scheduled_for=OuterRef("scheduled_for"), status=RunStatus.SUCCESS
    )
    attempts: defaultdict[int, dict[datetime, list[tuple[int, str]]]] = defaultdict(dict)
    for pipeline_id, scheduled_for, run_id, status in (
        Run.objects.in_window(start, end)
        .exclude(status=RunStatus.SUCCESS)
        .exclude(Exists(retried))
        .values_list("pipeline_id", "scheduled_for", "id", "status")
    ):
        attempts[pipeline_id].setdefault(scheduled_for, []).append((run_id, status))
    return attempts


def _availability_facts(
    facts: defaultdict[int, RunFacts],
    pks: list[int],
    occurrences: list[datetime],
    start: datetime,
    end: datetime,
    now: datetime,
    times_per_day: dict[int, dict[date, int]],
    attempts: dict[int, dict[datetime, list[tuple[int, str]]]],
) -> None:
    """For pipelines sharing one schedule: the due occurrences that succeeded, the attempts of those that
    did not, and the runs at no occurrence.

    Most due occurrences succeed, so the database names the exceptions: failed or running attempts with
    no successful retry (`attempts`, at any time), and the times with no run at all (`_missing_occurrences`).
    Every other due occurrence succeeded. `times_per_day` counts each pipeline's distinct run times before
    `now` per UTC day.
    """
    runs = Run.objects.in_window(start, end).filter(pipeline_id__in=pks)
    unmatched = runs.exclude(scheduled_for__in=occurrences).order_by()
    for pipeline_id, run_id, external_id, scheduled_for in unmatched.values_list(
        "pipeline_id", "id", "external_id", "scheduled_for"
    ):
        facts[pipeline_id].unmatched.append(rules.RunRef(run_id, external_id, scheduled_for))
    due = [moment for moment in occurrences if moment < now]
    if not due:
        return
    due_times = frozenset(due)
    unsucceeded: defaultdict[int, set[datetime]] = defaultdict(set)
    for pk in pks:
        for scheduled_for, tries in attempts.get(pk, {}).items():
            if scheduled_for in due_times:  # not a run at no occurrence, nor one not due yet
                facts[pk].attempts[scheduled_for] = tries
                unsucceeded[pk].add(scheduled_for)
    # A time before now is either due (an occurrence) or a run at no occurrence, which `unmatched` holds.
    due_times_per_day: defaultdict[int, dict[date, int]] = defaultdict(dict)
    for pk in pks:
        unmatched_days = Counter(
            ref.scheduled_for.astimezone(UTC).date()
            for ref in {ref.scheduled_for: ref for ref in facts[pk].unmatched}.values()
            if ref.scheduled_for < now
        )
        for day, times in times_per_day.get(pk, {}).items():
            due_times_per_day[pk][day] = times - unmatched_days[day]
    missing = _missing_occurrences(runs, pks, due, due_times_per_day)
    for pk in pks:
        facts[pk].succeeded = due_times - unsucceeded[pk] - missing.get(pk, frozenset())


def _missing_occurrences(
    runs, pks: list[int], due: list[datetime], ran_per_day: dict[int, dict[date, int]]
) -> dict[int, frozenset[datetime]]:
    """The due times at which each pipeline of `pks` has no run among `runs`.

    A month of hourly runs is hundreds of thousands of times; reading them back to find the few hours
    missing costs more than the rest of the month's work. So only the days short of their due times
    are read, by `ran_per_day` (each pipeline's distinct due times with a run, per UTC day): a day with
    no run misses every due time, and the days with some are read in one query for all pipelines.
    """
    due_by_day: defaultdict[date, list[datetime]] = defaultdict(list)
    for moment in due:
        due_by_day[moment.astimezone(UTC).date()].append(moment)
    missing: defaultdict[int, set[datetime]] = defaultdict(set)
    short: defaultdict[date, list[int]] = defaultdict(list)  # day -> pipelines with some but not all times
    for pk in pks:
        for day, moments in due_by_day.items():
            times = ran_per_day.get(pk, {}).get(day, 0)
            if not times:
                missing[pk].update(moments)
            elif times < len(moments):
                short[day].append(pk)
    if short:
        # One condition per short day (at most a month's days), whatever the number of pipelines.
        within = reduce(
            or_,
            (
                Q(pipeline_id__in=pipelines, scheduled_for__gte=begins, scheduled_for__lt=begins + timedelta(days=1))
                for day, pipelines in short.items()
                for begins in [datetime.combine(day, time(), UTC)]
            ),
        )
        ran: defaultdict[int, set[datetime]] = defaultdict(set)
        for pipeline_id, scheduled_for in runs.filter(within).order_by().values_list("pipeline_id", "scheduled_for"):
            ran[pipeline_id].add(scheduled_for)
        for day, pipelines in short.items():
            for pk in pipelines:
                missing[pk].update(moment for moment in due_by_day[day] if moment not in ran[pk])
    return {pk: frozenset(moments) for pk, moments in missing.items()}


def _delivery_and_quality_facts(
    facts: defaultdict[int, RunFacts], start: datetime, end: datetime, policy: rules.SlaPolicy, now: datetime
) -> dict[int, dict[date, int]]:
    """Each UTC day's earliest delivery, the checked-run count, and the runs that may breach quality.

    Returns the count of each pipeline's distinct run times before `now` per UTC day, which the same
    pass over the month's runs counts for the availability facts.
    """
    success = Q(status=RunStatus.SUCCESS)
    days = (
        Run.objects.in_window(start, end)
        .annotate(day=TruncDate("scheduled_for", tzinfo=UTC))
        .order_by()
        .values("pipeline_id", "day")
        .annotate(
            delivered=Min(deliveries.delivery_time_expression(), filter=success),
            checked=Count("id", filter=success & Q(records_total__isnull=False)),
            times=Count("scheduled_for", distinct=True, filter=Q(scheduled_for__lt=now)),
        )
        .values_list("pipeline_id", "day", "delivered", "checked", "times")
    )
    times_per_day: defaultdict[int, dict[date, int]] = defaultdict(dict)
    for pipeline_id, day, delivered, checked, times in days:
        times_per_day[pipeline_id][day] = times
        pipeline_facts = facts[pipeline_id]
        pipeline_facts.checked_runs += checked
        if delivered is not None:
            pipeline_facts.earliest[day] = delivered
    # A prefilter a thousandth looser than the limit (bad x 100 x den >= total x num x 1000/1001), so
    # rounding where a database turns huge products into floats never drops a breach; the pure rule decides.
    numerator, denominator = Decimal(policy.bad_records_pct).as_integer_ratio()
    exact = DecimalField(max_digits=65, decimal_places=0)
    bad = Cast(Coalesce("records_dropped", 0), exact) + Cast(Coalesce("records_invalid", 0), exact)
    candidates = (
        Run.objects.in_window(start, end)
        .filter(success)
        .annotate(
            scaled_bad=bad * (100 * denominator * 1001),
            scaled_total=Cast(F("records_total"), exact) * (numerator * 1000),
        )
        .filter(Q(records_total__isnull=True) | Q(critical_nulls__gt=0) | Q(scaled_bad__gte=F("scaled_total")))
        .values_list(
            "id", "pipeline_id", "external_id", "scheduled_for", "status",
            "records_total", "records_dropped", "records_invalid", "critical_nulls",
        )
    )  # fmt: skip
    for run_id, pipeline_id, external_id, scheduled_for, status, total, dropped, invalid, nulls in candidates:
        facts[pipeline_id].candidates.append(
            rules.RunFact(run_id, external_id, scheduled_for, status, None, None, total, dropped, invalid, nulls)
        )
    return times_per_day
