"""Benchmark of the monthly SLA computation on PostgreSQL: `DATABASE_URL=postgres://… python bench/bench_sla.py`.

1,000 pipelines on an hourly schedule for one month (720,000 runs). Times, in the same run:
* the portal's `sla_month_compute` for the month (figures, lists behind them, stored reports);
* a single hand-written SQL aggregate over the same rows (per pipeline: successful occurrences, late
  days, bad-record runs);
and prints the ratio (target: at most 3×). Also counts the dashboard's queries for 8 and for 1,000
pipelines (target: the same). Uses a throwaway test database.
"""

import os
import statistics
import sys
import time as clock
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.test")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

from oncall.models import TeamMember  # noqa: E402
from sla.services import sla_month_compute  # noqa: E402

MONTH = date(2026, 9, 1)
PIPELINES = 1000
REPEATS = 3

HAND_WRITTEN = """
WITH per_hour AS (
    SELECT pipeline_id, scheduled_for,
           bool_or(status = 'success') AS ok,
           min(coalesce(data_available_at, finished_at)) FILTER (WHERE status = 'success') AS delivered,
           count(*) FILTER (
               WHERE status = 'success' AND records_total IS NOT NULL
               AND ((records_dropped + records_invalid) * 1000 > records_total OR critical_nulls > 0)
           ) AS bad_runs
    FROM pipelines_run
    WHERE scheduled_for >= %(start)s AND scheduled_for < %(end)s
    GROUP BY pipeline_id, scheduled_for
), per_day AS (
    SELECT pipeline_id, scheduled_for::date AS day, min(delivered) AS delivered
    FROM per_hour GROUP BY pipeline_id, scheduled_for::date
)
, late AS (
    SELECT pipeline_id, count(*) AS late_days FROM per_day
    WHERE extract(isodow FROM day) < 6 AND (delivered IS NULL OR delivered > day + time '08:00')
    GROUP BY pipeline_id
)
SELECT h.pipeline_id, count(*) FILTER (WHERE h.ok) AS successful, sum(h.bad_runs) AS bad_runs,
       coalesce(max(l.late_days), 0) AS late_days
FROM per_hour h LEFT JOIN late l USING (pipeline_id) GROUP BY h.pipeline_id
"""


def load_rows(pipelines: int) -> None:
    """Pipelines with an hourly schedule and a run per hour of the month, inserted by PostgreSQL itself."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO pipelines_pipeline (name, slug, description, common_issues, standard_procedures,
                column_aliases, schedule, critical_fields)
            SELECT 'Bench pipeline ' || n, 'bench-' || n, '', '[]', '', '[]', '0 * * * *', '[]'
            FROM generate_series(1, %s) AS n
            """,
            [pipelines],
        )
        cursor.execute(
            """
            INSERT INTO pipelines_run (pipeline_id, external_id, scheduled_for, started_at, finished_at, status,
                data_available_at, records_total, records_dropped, records_invalid, critical_nulls,
                received_at, updated_at)
            SELECT p.id, 'run-' || h, t, t, t + interval '20 minutes',
                   CASE WHEN (p.id + h) %% 997 = 0 THEN 'failed' ELSE 'success' END,
                   t + interval '21 minutes', 100000,
                   CASE WHEN (p.id * h) %% 500 = 0 THEN 150 ELSE (p.id * h) %% 90 END,
                   0, 0, now(), now()
            FROM pipelines_pipeline p,
                 generate_series(0, 719) AS h,
                 LATERAL (SELECT timestamptz %s + h * interval '1 hour') AS s(t)
            """,
            [f"{MONTH:%Y-%m-%d} 00:00+00"],
        )


def timed(run) -> float:
    began = clock.perf_counter()
    run()
    return clock.perf_counter() - began


def dashboard_queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/sla/{MONTH:%Y-%m}/")
    assert response.status_code == 200, response.status_code
    return len(queries)


def main() -> int:
    if connection.vendor != "postgresql":
        print("Skipped: this benchmark measures PostgreSQL; set DATABASE_URL=postgres://…")
        return 0
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        user = get_user_model().objects.create(username="bench.viewer")
        TeamMember.objects.create(user=user, name="Bench Viewer")
        client = Client()
        client.force_login(user)

        load_rows(8)
        sla_month_compute(month=MONTH)
        small = dashboard_queries(client)
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE pipelines_run, pipelines_pipeline, sla_slareport CASCADE")
        load_rows(PIPELINES)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
            cursor.execute("SELECT count(*) FROM pipelines_run")
            rows = cursor.fetchone()[0]

        def aggregate():
            with connection.cursor() as cursor:
                cursor.execute(HAND_WRITTEN, {"start": f"{MONTH} 00:00+00", "end": "2026-10-01 00:00+00"})
                cursor.fetchall()

        sql_times = [timed(aggregate) for _ in range(REPEATS)]
        if os.environ.get("BENCH_PROFILE"):
            import cProfile

            cProfile.runctx("sla_month_compute(month=MONTH)", globals(), {"MONTH": MONTH}, sort="cumulative")
        compute_times = [timed(lambda: sla_month_compute(month=MONTH)) for _ in range(REPEATS)]
        large = dashboard_queries(client)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)

    sql, compute = statistics.median(sql_times), statistics.median(compute_times)
    ratio = compute / sql
    print(f"{PIPELINES} pipelines, {rows} runs in {MONTH:%B %Y}")
    print(f"  hand-written SQL aggregate: median {sql:.3f} s")
    print(f"  sla_month_compute:          median {compute:.3f} s  ({ratio:.2f}x the aggregate; target <= 3x)")
    print(f"  dashboard queries: {small} for 8 pipelines, {large} for {PIPELINES} (target: the same)")
    return 0 if ratio <= 3 and small == large else 1


if __name__ == "__main__":
    sys.exit(main())
