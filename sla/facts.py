"""What the SLA rules read of the runs of a month, with the database doing the per-run work."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

from django.db import connection
from django.db.models import Count, DecimalField, F, Min, Q
from django.db.models.functions import Cast, Coalesce, TruncDate

from pipelines.choices import RunStatus
from pipelines.models import Pipeline, Run

from . import rules


@dataclass
class RunFacts:
    """What the SLA rules read of one pipeline's runs in a month (see `rules.compute_month_from_facts`)."""

    succeeded: set[datetime] = field(default_factory=set)
    attempts: dict[datetime, list[tuple[int, str]]] = field(default_factory=dict)
    unmatched: list[rules.RunRef] = field(default_factory=list)
    earliest: dict[date, datetime] = field(default_factory=dict)
    checked_runs: int = 0
    candidates: list[rules.RunFact] = field(default_factory=list)


def run_facts(
    pipelines: list[Pipeline], start: datetime, end: datetime, policy: rules.SlaPolicy
) -> dict[int, RunFacts]:
    """Each pipeline's run facts for [start, end), with the database doing the per-run work.

    A month of hourly runs for a thousand pipelines is 720,000 rows; bringing them all over costs
    far more than the rules themselves, so only aggregates and the few runs named in details come back.
    """
    facts: defaultdict[int, RunFacts] = defaultdict(RunFacts)
    by_schedule: defaultdict[str, list[int]] = defaultdict(list)
    for pipeline in pipelines:
        by_schedule[pipeline.schedule].append(pipeline.pk)
    occurrences = {cron: rules.scheduled_occurrences(cron, start, end) for cron in by_schedule}
    if connection.vendor == "postgresql":
        _availability_facts_postgresql(facts, by_schedule, occurrences, start, end)
    else:
        _availability_facts_from_rows(facts, by_schedule, occurrences, start, end)
    _delivery_and_quality_facts(facts, start, end, policy)
    return facts


def _availability_facts_postgresql(
    facts: defaultdict[int, RunFacts],
    by_schedule: dict[str, list[int]],
    occurrences: dict[str, list[datetime]],
    start: datetime,
    end: datetime,
) -> None:
    """Succeeded occurrences as arrays of integers, then only the failed attempts and unmatched runs."""
    schedule_of = {pk: cron for cron, pks in by_schedule.items() for pk in pks}
    # Epoch microseconds are exact for timestamptz and parse far faster than timestamps.
    by_micros = {cron: {_epoch_micros(moment): moment for moment in moments} for cron, moments in occurrences.items()}
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT pipeline_id,
                   array_agg((extract(epoch FROM scheduled_for) * 1000000)::bigint)
                       FILTER (WHERE status = %s)
            FROM {Run._meta.db_table}
            WHERE scheduled_for >= %s AND scheduled_for < %s
            GROUP BY pipeline_id
            """,
            [RunStatus.SUCCESS, start, end],
        )
        for pipeline_id, micros in cursor.fetchall():
            moments = by_micros.get(schedule_of.get(pipeline_id))
            if moments is None or not micros:
                continue
            facts[pipeline_id].succeeded = {moments[m] for m in micros if m in moments}
        # Runs named in the details: unmatched ones, by schedule (few; NOT = ANY is a hash probe).
        for cron, pks in by_schedule.items():
            cursor.execute(
                f"""
                SELECT pipeline_id, id, external_id, scheduled_for
                FROM {Run._meta.db_table}
                WHERE scheduled_for >= %s AND scheduled_for < %s
                  AND pipeline_id = ANY(%s) AND NOT (scheduled_for = ANY(%s))
                """,
                [start, end, pks, occurrences[cron]],
            )
            for pipeline_id, run_id, external_id, scheduled_for in cursor.fetchall():
                facts[pipeline_id].unmatched.append(rules.RunRef(run_id, external_id, scheduled_for))
    # An occurrence without a success has only failed or running attempts, so those are all it
    # can list; the ordering is the model's, as the full run list had.
    attempts = (
        Run.objects.in_window(start, end)
        .exclude(status=RunStatus.SUCCESS)
        .values_list("pipeline_id", "scheduled_for", "id", "status")
    )
    for pipeline_id, scheduled_for, run_id, status in attempts:
        facts[pipeline_id].attempts.setdefault(scheduled_for, []).append((run_id, status))


def _epoch_micros(moment: datetime) -> int:
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def _availability_facts_from_rows(
    facts: defaultdict[int, RunFacts],
    by_schedule: dict[str, list[int]],
    occurrences: dict[str, list[datetime]],
    start: datetime,
    end: datetime,
) -> None:
    """The plain way, for databases without array aggregates (the small embedded SQLite)."""
    month_times = {pk: frozenset(occurrences[cron]) for cron, pks in by_schedule.items() for pk in pks}
    rows = Run.objects.in_window(start, end).values_list("pipeline_id", "id", "external_id", "scheduled_for", "status")
    for pipeline_id, run_id, external_id, scheduled_for, status in rows.iterator(chunk_size=20000):
        pipeline_facts = facts[pipeline_id]
        if scheduled_for not in month_times.get(pipeline_id, ()):
            pipeline_facts.unmatched.append(rules.RunRef(run_id, external_id, scheduled_for))
        elif status == RunStatus.SUCCESS:
            pipeline_facts.succeeded.add(scheduled_for)
        else:
            pipeline_facts.attempts.setdefault(scheduled_for, []).append((run_id, status))


def _delivery_and_quality_facts(
    facts: defaultdict[int, RunFacts], start: datetime, end: datetime, policy: rules.SlaPolicy
) -> None:
    """Each UTC day's earliest delivery, the checked-run count, and the runs that may breach quality."""
    success = Q(status=RunStatus.SUCCESS)
    days = (
        Run.objects.in_window(start, end)
        .annotate(day=TruncDate("scheduled_for", tzinfo=UTC))
        .order_by()
        .values("pipeline_id", "day")
        .annotate(
            delivered=Min(Coalesce("data_available_at", "finished_at"), filter=success),
            checked=Count("id", filter=success & Q(records_total__isnull=False)),
        )
        .values_list("pipeline_id", "day", "delivered", "checked")
    )
    for pipeline_id, day, delivered, checked in days:
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
