"""Benchmark of signals to incidents: `python bench/bench_signals.py`.

1,000 pipelines (owners, downstream teams, a dependency chain, a week of daily runs), a rotation and
two chat channels. Measured, as medians:
  * posting a failed run through the API (service token) with its incident recorded and its pages
    (emails and chat messages) queued on the broker, for a pipeline with no open incident;
  * `watch` at a business day's 08:05 deadline check, first run (opens the missed deliveries and
    overdue runs of 1% of the pipelines) and again (nothing left to do);
  * `watch` on a bad morning when no pipeline has delivered and every run is still running: 1,000
    incidents opened at once, each joined by its overdue run (reported; the targets are the every-minute
    job's usual work).
Uses DATABASE_URL (PostgreSQL in CI, else the embedded SQLite) in a throwaway test database and
REDIS_URL for the broker when set.

Targets on the 2-core dev machine: failed run <= 50 ms, watch <= 1 s.
"""

import os
import statistics
import sys
import time as clock
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.test")

import django  # noqa: E402

django.setup()

import time_machine  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from incidents.automatic import watch  # noqa: E402
from incidents.models import ChatChannel, Incident  # noqa: E402
from oncall.models import ChatMessage, Notification, Rotation, RotationMembership, TeamMember  # noqa: E402
from oncall.services import rotation_generate  # noqa: E402
from pipelines.choices import OwnerRole  # noqa: E402
from pipelines.models import DownstreamTeam, Ownership, Pipeline, Run  # noqa: E402
from portal.celery import app  # noqa: E402

PIPELINES = 1000
DAYS = 7
POSTS = 30
WATCH_REPEATS = 5
TUESDAY = date(2026, 11, 24)
TARGETS = {"failed run posted": 0.050, "watch (first run)": 1.0, "watch (nothing to do)": 1.0}


def make_portal() -> list[Pipeline]:
    users = get_user_model().objects.bulk_create(
        get_user_model()(username=f"bench.member{n}", email=f"m{n}@example.com") for n in range(20)
    )
    members = TeamMember.objects.bulk_create(
        TeamMember(user=user, name=f"Bench Member{n}", email=user.email) for n, user in enumerate(users)
    )
    rotation = Rotation.objects.create(name="Team", start_date=TUESDAY - timedelta(days=14))
    RotationMembership.objects.bulk_create(
        RotationMembership(rotation=rotation, member=member, position=n) for n, member in enumerate(members[:6])
    )
    rotation_generate(
        rotation_id=rotation.pk, until=TUESDAY + timedelta(days=30), now=datetime(2026, 11, 1, tzinfo=UTC)
    )
    teams = DownstreamTeam.objects.bulk_create(
        DownstreamTeam(name=f"Team {n}", lead_email=f"l{n}@e.com") for n in range(5)
    )
    pipelines = Pipeline.objects.bulk_create(
        Pipeline(
            name=f"Pipeline {n:04d}", slug=f"pipeline-{n:04d}", expected_duration=timedelta(hours=1),
            critical_downstream_team=teams[n % 5] if n % 2 else None,
        )
        for n in range(PIPELINES)
    )  # fmt: skip
    Ownership.objects.bulk_create(
        Ownership(pipeline=p, member=members[(n + k) % 20], role=role)
        for n, p in enumerate(pipelines)
        for k, role in enumerate((OwnerRole.PRIMARY, OwnerRole.SECONDARY))
    )
    Pipeline.depends_on.through.objects.bulk_create(
        Pipeline.depends_on.through(from_pipeline_id=pipelines[n].pk, to_pipeline_id=pipelines[n - 1].pk)
        for n in range(1, PIPELINES)
        if n % 10
    )
    runs = []
    for n, pipeline in enumerate(pipelines):
        for back in range(DAYS):
            day = datetime.combine(TUESDAY - timedelta(days=back), datetime.min.time(), tzinfo=UTC)
            late = back == 0 and n % 100 == 0  # 1%: today's data is missing, its run still running
            runs.append(
                Run(
                    pipeline=pipeline, external_id=f"run-{back}", scheduled_for=day + timedelta(hours=6),
                    started_at=day + timedelta(hours=6), finished_at=None if late else day + timedelta(hours=7),
                    status="running" if late else "success",
                )
            )  # fmt: skip
    Run.objects.bulk_create(runs, batch_size=5000)
    ChatChannel.objects.create(name="#data-alerts", kind="slack", url="http://127.0.0.1:9/slack")
    ChatChannel.objects.create(name="Data team", kind="teams", url="http://127.0.0.1:9/teams")
    return pipelines


def timed(run) -> float:
    began = clock.perf_counter()
    run()
    return clock.perf_counter() - began


def main() -> int:
    setup_test_environment()
    app.conf.task_always_eager = False  # queue the pages on the broker as in production
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        with time_machine.travel(
            datetime.combine(TUESDAY, datetime.min.time(), tzinfo=UTC) + timedelta(hours=8, minutes=5), tick=False
        ):
            pipelines = make_portal()
            call_command("create_service_token", "airflow", stdout=open(os.devnull, "w"))  # noqa: SIM115
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get().key}")
            watch_first, watch_again = [], []
            for _ in range(WATCH_REPEATS):
                Incident.objects.all().delete()
                watch_first.append(timed(lambda: watch()))
                watch_again.append(timed(lambda: watch()))
            opened_by_watch = Incident.objects.count()
            Incident.objects.all().delete()
            posts = []
            for n in range(POSTS):
                pipeline = pipelines[1 + n * 7]
                payload = {
                    "pipeline": pipeline.slug, "external_id": f"failed-{n}", "status": "failed",
                    "scheduled_for": "2026-11-24T07:00:00Z", "started_at": "2026-11-24T07:00:00Z",
                    "finished_at": "2026-11-24T07:30:00Z",
                }  # fmt: skip
                response = None

                def post(payload=payload):
                    nonlocal response
                    response = client.post("/api/runs/", payload, format="json")

                posts.append(timed(post))
                assert response.status_code == 201, response.content
            incidents, emails, chats = (
                Incident.objects.count(),
                Notification.objects.count(),
                ChatMessage.objects.count(),
            )
            # A bad morning: no pipeline has delivered and every run is still running, so the first watch
            # opens an incident for each missed delivery and joins each overdue run to it.
            Run.objects.filter(external_id="run-0").update(status="running", finished_at=None)
            every_late = []
            for _ in range(WATCH_REPEATS):
                Incident.objects.all().delete()
                every_late.append(timed(lambda: watch()))
            opened_on_a_bad_morning = Incident.objects.count()
        app.control.purge()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    print(
        f"database: {connection.vendor}; broker: {'Redis' if os.environ.get('REDIS_URL') else 'filesystem'}; "
        f"{PIPELINES} pipelines, {PIPELINES * DAYS} runs; watch opened {opened_by_watch} incidents; "
        f"{POSTS} failed runs opened {incidents} incidents, {emails} emails and {chats} chat messages queued; "
        f"on a bad morning the watch opened {opened_on_a_bad_morning} incidents"
    )
    failed = False
    for label, times in (
        ("failed run posted", posts), ("watch (first run)", watch_first), ("watch (nothing to do)", watch_again),
        ("watch (every pipeline late)", every_late),
    ):  # fmt: skip
        median = statistics.median(times)
        line = f"{label:>27}: median {median * 1000:.1f} ms over {len(times)} runs"
        if label in TARGETS:
            failed |= median > TARGETS[label]
            line += f" (target <= {TARGETS[label] * 1000:.0f} ms) {'ok' if median <= TARGETS[label] else 'OVER TARGET'}"
        print(line)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
