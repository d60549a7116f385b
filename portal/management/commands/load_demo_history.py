import random
from datetime import UTC, date, datetime, timedelta

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from incidents.models import Incident
from incidents.services import incident_open, incident_step
from oncall.months import add_months
from pipelines.models import Pipeline, Run
from sla.rules import scheduled_occurrences
from sla.services import sla_month_compute

DEMO_PREFIX = "demo-"


class Command(BaseCommand):
    help = (
        "Load a year of clearly labelled demo runs and incidents (external ids starting with 'demo-', "
        "incident titles with '[demo]') and compute the SLA months, so a new portal has a dashboard to look at. "
        "Does nothing when demo history is already there."
    )

    def add_arguments(self, parser):
        parser.add_argument("--months", type=int, default=12)
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args, months, seed, **options):
        if Run.objects.filter(external_id__startswith=DEMO_PREFIX).exists():
            self.stdout.write("Demo history is already loaded.")
            return
        now = timezone.now()
        first = add_months(now.date(), 1 - months)
        with transaction.atomic():
            runs, incidents = load(first=first, now=now, rng=random.Random(seed))
        month = first
        while month <= now.date():
            sla_month_compute(month=month, now=now)
            month = add_months(month, 1)
        self.stdout.write(
            self.style.SUCCESS(f"Loaded {runs} demo runs and {incidents} demo incidents since {first:%B %Y}.")
        )


def load(*, first: date, now: datetime, rng: random.Random) -> tuple[int, int]:
    """Runs for every schedule occurrence since `first`: mostly on time, some late, failed, retried or dirty."""
    start = datetime.combine(first, datetime.min.time(), tzinfo=UTC)
    runs = []
    troubled = []
    for pipeline in Pipeline.objects.order_by("pk"):
        for scheduled in scheduled_occurrences(pipeline.schedule, start, now - timedelta(hours=2)):
            roll = rng.random()
            took = timedelta(minutes=rng.randint(20, 90))
            if roll < 0.004:
                continue  # a run that never reported
            status = "failed" if roll < 0.012 else "success"
            if roll > 0.985:
                took += timedelta(hours=rng.randint(2, 4))  # late data
            total = rng.randint(50_000, 200_000)
            dropped = rng.randint(0, total // 2000) if roll < 0.97 else total // 400
            runs.append(
                Run(
                    pipeline=pipeline,
                    external_id=f"{DEMO_PREFIX}{scheduled:%Y%m%dT%H%M}",
                    scheduled_for=scheduled,
                    started_at=scheduled,
                    finished_at=scheduled + took,
                    status=status,
                    data_available_at=scheduled + took if status == "success" else None,
                    records_total=total,
                    records_dropped=dropped,
                    records_invalid=rng.randint(0, 5),
                    critical_nulls=0 if rng.random() > 0.003 else 1,
                )
            )
            if status == "failed":
                troubled.append((pipeline, scheduled + took))
                runs.append(
                    Run(
                        pipeline=pipeline,
                        external_id=f"{DEMO_PREFIX}{scheduled:%Y%m%dT%H%M}-retry",
                        scheduled_for=scheduled,
                        started_at=scheduled + took,
                        finished_at=scheduled + took + timedelta(minutes=40),
                        status="success",
                        data_available_at=scheduled + took + timedelta(minutes=40),
                        records_total=total,
                        records_dropped=0,
                        records_invalid=0,
                        critical_nulls=0,
                    )
                )
    Run.objects.bulk_create(runs, batch_size=2000)
    for pipeline, detected in troubled:
        incident = incident_open(
            pipeline=pipeline,
            title=f"[demo] {pipeline.name} run failed",
            severity="critical" if rng.random() < 0.5 else "major",
            detected_at=detected,
            description="Demo incident loaded by `load_demo_history`.",
            now=detected,
        )
        owner = pipeline.ownerships.order_by("role").first().member
        acknowledged = detected + timedelta(minutes=rng.choice([4, 9, 14, 25]))
        incident_step(incident_id=incident.pk, step="acknowledge", member=owner, at=acknowledged, now=now)
        incident_step(
            incident_id=incident.pk,
            step="resolve",
            member=owner,
            at=acknowledged + timedelta(minutes=rng.choice([45, 90, 150, 240])),
            now=now,
        )
    return len(runs), Incident.objects.filter(title__startswith="[demo]").count()
