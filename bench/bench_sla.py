"""The monthly SLA computation on the benchmark estate: `DATABASE_URL=postgres://… python bench/bench_sla.py`.

Uses the estate of `load_scale_data --pipelines 1000 --members 50` with its twelve months of runs (see
`bench/estate.py`; built once, then reused) and the last complete month. Times, in interleaved rounds:
* the first computation of the month: the month's reports and escalations deleted, then
  `sla_month_compute` (facts, rules, details, reports and escalations written);
* a recompute over the stored month (every report rewritten in place);
* the tightest hand-written SQL for the same figures: one statement that reads the same runs and
  incidents, computes every stored figure (availability, error budget, late days, notices not sent,
  quality, response clocks, compliance) and writes them into a table of its own, given the same
  business days, deadlines and business hours as the portal.
Each is rolled back, so every round does the same work. PostgreSQL's JIT compiler is off for all three:
it spends seconds compiling the statement's plan (its row estimates for the schedules are far off),
which would flatter the ratios. Checks that the SQL's figures equal the
portal's for every pipeline, prints each median and the two ratios (target: at most 3x both), and
exits 1 when a target is missed or a figure differs.
"""

import argparse
import os
import statistics
import sys
import time as clock
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.local")

from estate import estate_now, prepare_estate, scale_database_url  # noqa: E402

ROUNDS = 5
RATIO_TARGET = 3
FIGURES = (
    "scheduled_runs", "successful_runs", "availability_pct", "availability_ok", "error_budget",
    "error_budget_left", "business_days", "late_days", "uncommunicated_delays", "timeliness_ok",
    "checked_runs", "quality_breaches", "unreported_runs", "quality_ok", "critical_incidents",
    "ack_breaches", "resolution_breaches", "response_ok", "compliant",
)  # fmt: skip

# The estate's schedules are "M * * * *" (hourly) and "M H * * *" (daily); the SQL steps them itself.
HAND_WRITTEN = """
WITH pipelines AS (
    SELECT id, split_part(schedule, ' ', 1)::int AS minute, nullif(split_part(schedule, ' ', 2), '*')::int AS hour
    FROM pipelines_pipeline
), due AS (
    SELECT p.id AS pipeline_id, at
    FROM pipelines p, generate_series(
        %(start)s + make_interval(hours => coalesce(p.hour, 0), mins => p.minute),
        least(%(end)s, %(now)s) - interval '1 microsecond',
        CASE WHEN p.hour IS NULL THEN interval '1 hour' ELSE interval '1 day' END
    ) AS at
), month_runs AS (
    SELECT pipeline_id, scheduled_for, coalesce(data_available_at, finished_at) AS delivered, records_total,
           coalesce(records_dropped, 0) + coalesce(records_invalid, 0) AS bad, coalesce(critical_nulls, 0) AS nulls
    FROM pipelines_run
    WHERE scheduled_for >= %(start)s AND scheduled_for < %(end)s AND status = 'success'
), succeeded AS (
    SELECT DISTINCT pipeline_id, scheduled_for FROM month_runs
), availability AS (
    SELECT d.pipeline_id, count(*) AS scheduled, count(s.scheduled_for) AS successful
    FROM due d LEFT JOIN succeeded s ON s.pipeline_id = d.pipeline_id AND s.scheduled_for = d.at
    GROUP BY d.pipeline_id
), delivered AS (
    SELECT pipeline_id, (scheduled_for AT TIME ZONE 'UTC')::date AS day, min(delivered) AS at
    FROM month_runs GROUP BY 1, 2
), late AS (
    SELECT p.id AS pipeline_id, b.day,
           CASE WHEN dl.at IS NULL THEN %(now)s > b.deadline + %(threshold)s
                ELSE dl.at - b.deadline > %(threshold)s END AS needs_notice
    FROM pipelines p
    CROSS JOIN unnest(%(days)s::date[], %(deadlines)s::timestamptz[]) AS b(day, deadline)
    LEFT JOIN delivered dl ON dl.pipeline_id = p.id AND dl.day = b.day
    WHERE CASE WHEN dl.at IS NULL THEN %(now)s > b.deadline ELSE dl.at > b.deadline END
), timeliness AS (
    SELECT l.pipeline_id, count(*) AS late_days,
           count(*) FILTER (WHERE l.needs_notice AND NOT EXISTS (
               SELECT 1 FROM incidents_communication c WHERE c.pipeline_id = l.pipeline_id AND c.day = l.day
           )) AS uncommunicated
    FROM late l GROUP BY l.pipeline_id
), quality AS (
    SELECT pipeline_id, count(records_total) AS checked,
           count(*) FILTER (WHERE records_total IS NOT NULL AND (
               bad::numeric * 100 * %(bad_den)s > records_total::numeric * %(bad_num)s OR nulls > 0
           )) AS breaches,
           count(*) FILTER (WHERE records_total IS NULL) AS unreported
    FROM month_runs GROUP BY pipeline_id
), response AS (
    SELECT i.pipeline_id, count(*) AS critical,
           count(*) FILTER (WHERE ack.seconds > %(ack_seconds)s) AS ack_breaches,
           count(*) FILTER (
               WHERE coalesce(least(i.mitigated_at, i.resolved_at), %(now)s) > i.detected_at + %(resolution)s
           ) AS resolution_breaches
    FROM incidents_incident i
    CROSS JOIN LATERAL (
        SELECT coalesce(sum(extract(epoch FROM upper(h * span) - lower(h * span))), 0) AS seconds
        FROM unnest(%(hours)s::tstzrange[]) AS h,
             tstzrange(i.detected_at, greatest(i.detected_at, coalesce(i.acknowledged_at, %(now)s))) AS span
        WHERE h && span
    ) AS ack
    WHERE i.severity = 'critical' AND i.detected_at >= %(start)s AND i.detected_at < %(end)s
      AND i.pipeline_id IS NOT NULL
    GROUP BY i.pipeline_id
), figures AS (
    SELECT p.id AS pipeline_id, coalesce(a.scheduled, 0) AS scheduled, coalesce(a.successful, 0) AS successful,
           coalesce(t.late_days, 0) AS late_days, coalesce(t.uncommunicated, 0) AS uncommunicated,
           coalesce(q.checked, 0) AS checked, coalesce(q.breaches, 0) AS breaches,
           coalesce(q.unreported, 0) AS unreported, coalesce(r.critical, 0) AS critical,
           coalesce(r.ack_breaches, 0) AS ack_breaches, coalesce(r.resolution_breaches, 0) AS resolution_breaches,
           floor(coalesce(a.scheduled, 0) * (100 - %(target)s) / 100)::int AS budget
    FROM pipelines p
    LEFT JOIN availability a ON a.pipeline_id = p.id
    LEFT JOIN timeliness t ON t.pipeline_id = p.id
    LEFT JOIN quality q ON q.pipeline_id = p.id
    LEFT JOIN response r ON r.pipeline_id = p.id
)
INSERT INTO bench_sla_figures
SELECT pipeline_id, scheduled, successful,
       CASE WHEN scheduled = 0 THEN 100 ELSE floor(100000.0 * successful / scheduled) / 1000 END,
       successful * 100 >= %(target)s * scheduled, budget, budget - (scheduled - successful),
       %(business_days)s, late_days, uncommunicated, late_days = 0, checked, breaches, unreported,
       breaches = 0 AND unreported = 0, critical, ack_breaches, resolution_breaches,
       ack_breaches = 0 AND resolution_breaches = 0,
       successful * 100 >= %(target)s * scheduled AND late_days = 0 AND breaches = 0 AND unreported = 0
           AND ack_breaches = 0 AND resolution_breaches = 0
FROM figures
"""

SCRATCH = """
CREATE TABLE IF NOT EXISTS bench_sla_figures (
    pipeline_id integer PRIMARY KEY, scheduled_runs integer, successful_runs integer, availability_pct numeric(7, 3),
    availability_ok boolean, error_budget integer, error_budget_left integer, business_days smallint,
    late_days smallint, uncommunicated_delays smallint, timeliness_ok boolean, checked_runs integer,
    quality_breaches integer, unreported_runs integer, quality_ok boolean, critical_incidents integer,
    ack_breaches integer, resolution_breaches integer, response_ok boolean, compliant boolean
)
"""


def sql_parameters(month, now: datetime) -> dict:
    """What the portal computes in Python before it reads a row: the calendar, the deadlines, the policy."""
    from decimal import Decimal

    from oncall.calendar import business_days, is_business_day, team_business_hours
    from oncall.months import month_bounds
    from pipelines import deliveries
    from pipelines.models import SlaPolicy

    policy = SlaPolicy.current()
    start, end = month_bounds(month.year, month.month)
    hours = team_business_hours(start, end, opens=policy.business_opens, closes=policy.business_closes)
    days = [
        day
        for day in business_days(start.date(), (end - timedelta(days=1)).date(), hours.holidays)
        if day <= now.date()
    ]
    # Business hours from the month's first day to well past its end, where late acknowledgements fall.
    from zoneinfo import ZoneInfo

    zone, ranges, day = ZoneInfo(hours.tz_name), [], start.date() - timedelta(days=1)
    while day <= end.date() + timedelta(days=45):
        if is_business_day(day, hours.holidays):
            opens = datetime.combine(day, hours.opens, tzinfo=zone).astimezone(UTC)
            closes = datetime.combine(day, hours.closes, tzinfo=zone).astimezone(UTC)
            ranges.append(f"[{opens.isoformat()},{closes.isoformat()})")
        day += timedelta(days=1)
    numerator, denominator = Decimal(policy.bad_records_pct).as_integer_ratio()
    return {
        "start": start,
        "end": end,
        "now": now,
        "days": days,
        "deadlines": [deliveries.deadline_at(day, policy.deadline, policy.deadline_timezone) for day in days],
        "business_days": len(days),
        "threshold": policy.delay_threshold,
        "hours": ranges,
        "bad_num": numerator,
        "bad_den": denominator,
        "ack_seconds": policy.acknowledge_minutes * 60,
        "resolution": policy.resolution,
        "target": Decimal(policy.availability_target),
    }


def timed_in_rollback(work) -> float:
    """Seconds `work` takes inside a transaction that is then rolled back."""
    from django.db import transaction

    with transaction.atomic():
        began = clock.perf_counter()
        work()
        took = clock.perf_counter() - began
        transaction.set_rollback(True)
    return took


def figures_differing(parameters: dict, month) -> list[str]:
    """Every figure where the SQL and the portal disagree, with both values, computed in one rolled-back transaction."""
    from django.db import connection, transaction

    from sla.models import SlaReport

    differing = []
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(HAND_WRITTEN, parameters)
            cursor.execute(f"SELECT pipeline_id, {', '.join(FIGURES)} FROM bench_sla_figures")
            by_sql = {row[0]: row[1:] for row in cursor.fetchall()}
        for pipeline_id, *portal in SlaReport.objects.filter(month=month).values_list("pipeline_id", *FIGURES):
            sql = by_sql.pop(pipeline_id, None)
            for name, ours, theirs in zip(FIGURES, portal, sql or [None] * len(FIGURES), strict=True):
                if ours != theirs:
                    differing.append(f"pipeline {pipeline_id} {name}: portal {ours}, SQL {theirs}")
        differing += [f"pipeline {pipeline_id}: SQL only" for pipeline_id in by_sql]
        transaction.set_rollback(True)
    return differing


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rebuild", action="store_true", help="Build the estate again.")
    arguments = parser.parse_args()
    if not scale_database_url():
        print("Skipped: this benchmark measures PostgreSQL; set DATABASE_URL=postgres://…")
        return 0
    prepare_estate(arguments.rebuild)

    import django

    django.setup()
    from django.db import connection

    from oncall.months import add_months, first_of_month
    from pipelines.models import Run
    from sla.models import SlaEscalation, SlaReport
    from sla.services import sla_month_compute

    now = estate_now()
    month = add_months(first_of_month(now.date()), -1)
    parameters = sql_parameters(month, now)
    with connection.cursor() as cursor:
        cursor.execute("SET jit = off")
        cursor.execute(SCRATCH)
    runs = Run.objects.filter(scheduled_for__gte=parameters["start"], scheduled_for__lt=parameters["end"]).count()

    def first_computation():
        SlaEscalation.objects.filter(month=month).delete()
        SlaReport.objects.filter(month=month).delete()
        began = clock.perf_counter()
        sla_month_compute(month=month, now=now)
        return clock.perf_counter() - began

    def hand_written():
        with connection.cursor() as cursor:
            cursor.execute(HAND_WRITTEN, parameters)

    sla_month_compute(month=month, now=now)  # the stored month the recompute rewrites, and a warm cache
    times: dict[str, list[float]] = {"first": [], "recompute": [], "sql": []}
    for _ in range(ROUNDS):
        from django.db import transaction

        with transaction.atomic():
            times["first"].append(first_computation())
            transaction.set_rollback(True)
        times["recompute"].append(timed_in_rollback(lambda: sla_month_compute(month=month, now=now)))
        times["sql"].append(timed_in_rollback(hand_written))
    differing = figures_differing(parameters, month)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_sla_figures")

    sql = statistics.median(times["sql"])
    print(
        f"SLA for {month:%B %Y} on the estate: {SlaReport.objects.filter(month=month).count()} pipelines, "
        f"{runs} runs that month, {Run.objects.count()} runs in all ({ROUNDS} rounds, medians, rolled back)"
    )
    print(f"  hand-written SQL, figures written: {sql:.3f} s")
    missed = []
    for name, label in (("first", "first computation"), ("recompute", "recompute")):
        median = statistics.median(times[name])
        ratio = median / sql
        label = f"{label}:"
        print(f"  sla_month_compute, {label:<19}{median:.3f} s  ({ratio:.2f}x the SQL; target <= {RATIO_TARGET}x)")
        if ratio > RATIO_TARGET:
            missed.append(f"{label} {ratio:.2f}x")
    print(f"  figures the SQL and the portal disagree on: {len(differing)}")
    for line in differing[:20]:
        print(f"    {line}")
    if differing:
        missed.append(f"{len(differing)} figures differ")
    if missed:
        print("Missed: " + "; ".join(missed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
