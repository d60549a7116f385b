"""Benchmark of run ingestion: `python bench/bench_runs_batch.py`.

Posts the same kind of successful runs through `POST /api/runs/` with a service token, for 100
pipelines: one run per request, then backfills of 1,000 runs per request. Reports runs stored per
second each way (medians over rounds) and their ratio. Target: a backfill stores at least 10x the
runs per second of single posts.

Uses DATABASE_URL (PostgreSQL in CI, else the embedded SQLite) in a throwaway test database.
"""

import os
import statistics
import sys
import time as clock
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.test")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from pipelines.models import Pipeline, Run  # noqa: E402

PIPELINES = 100
SINGLE_POSTS = 200
BATCH = 1000
ROUNDS = 3
TARGET_RATIO = 10
START = datetime(2025, 1, 1, tzinfo=UTC)


def run_body(pipeline: str, n: int) -> dict:
    at = START + timedelta(hours=n)
    return {
        "pipeline": pipeline,
        "external_id": f"scheduled__{at:%Y-%m-%dT%H}",
        "scheduled_for": at.isoformat(),
        "started_at": (at + timedelta(seconds=5)).isoformat(),
        "finished_at": (at + timedelta(minutes=20)).isoformat(),
        "status": "success",
        "data_available_at": (at + timedelta(minutes=21)).isoformat(),
        "records_total": 120000,
        "records_dropped": 12,
        "records_invalid": 3,
        "critical_nulls": 0,
    }


def service_client() -> APIClient:
    out = StringIO()
    call_command("create_service_token", "bench-orchestrator", stdout=out)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {out.getvalue().split(': ')[1].strip()}")
    return client


def main() -> int:
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0)
    try:
        slugs = [p.slug for p in Pipeline.objects.bulk_create(
            Pipeline(name=f"Pipeline {n:03d}", slug=f"pipeline-{n:03d}") for n in range(PIPELINES)
        )]  # fmt: skip
        client = service_client()
        counter = 0
        single, batch = [], []
        for _ in range(ROUNDS):
            started = clock.perf_counter()
            for _ in range(SINGLE_POSTS):
                response = client.post("/api/runs/", run_body(slugs[counter % PIPELINES], counter), format="json")
                assert response.status_code == 201, response.content
                counter += 1
            single.append(SINGLE_POSTS / (clock.perf_counter() - started))
            body = [run_body(slugs[(counter + n) % PIPELINES], counter + n) for n in range(BATCH)]
            counter += BATCH
            started = clock.perf_counter()
            response = client.post("/api/runs/", body, format="json")
            batch.append(BATCH / (clock.perf_counter() - started))
            assert response.status_code == 200 and response.json()["created"] == BATCH, response.content[:500]
        stored = Run.objects.count()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    one, many = statistics.median(single), statistics.median(batch)
    ratio = many / one
    print(f"{connection.vendor}: {stored:,} runs stored for {PIPELINES} pipelines")
    print(f"  one run per request:      median {one:8.0f} runs/s")
    print(f"  {BATCH:,} runs per request: median {many:8.0f} runs/s  ({ratio:.1f}x; target >= {TARGET_RATIO}x)")
    return 0 if ratio >= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
