"""The stored monthly SLA equals the pure rules fed every run of the month.

`sla_month_compute` asks the database for compact facts (succeeded occurrences, each day's
earliest delivery, checked-run counts, the runs that may breach quality) rather than every run.
Random months with retries, missing, failed and running runs, unmatched runs, deliveries around
the deadline and quality figures at the limit check that the figures and the lists behind them
are exactly those of the rules over the full list of runs (`tests/sla/oracle.py`).
"""

import json
import random
from collections import Counter
from dataclasses import fields, is_dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models.functions import Coalesce

from oncall.calendar import team_business_hours
from pipelines.models import Pipeline, Run, SlaPolicy
from sla import rules as sla
from sla.models import SlaReport
from sla.services import SLA_FIGURES, as_json, policy_values, sla_month_compute
from tests.pipelines.factories import PipelineFactory
from tests.sla import oracle

pytestmark = pytest.mark.django_db

SCHEDULES = ("0 6 * * *", "0 * * * *", "30 7 * * 1-5", "15 */3 * * *")
BAD_RECORDS_PCTS = (Decimal("0.1"), Decimal("0.1"), Decimal("0.05"), Decimal("1.25"))


def delivery(rng: random.Random, scheduled: datetime) -> datetime:
    """A delivery time, often right at the 08:00 deadline or at deadline + the 1 h threshold."""
    deadline = datetime.combine(scheduled.date(), time(8), tzinfo=UTC)
    return rng.choice(
        [
            deadline - timedelta(seconds=1),
            deadline,
            deadline + timedelta(seconds=1),
            deadline + timedelta(hours=1),
            deadline + timedelta(hours=1, microseconds=1),
            scheduled + timedelta(minutes=rng.randint(1, 600)),
        ]
    )


def record_counts(rng: random.Random) -> dict:
    """Record counts, often exactly at or one record past 0.1 %, sometimes missing."""
    if rng.random() < 0.06:
        return {"records_total": None}
    total = rng.choice([0, 1000, 100000, 2000])
    bad = rng.choice([0, 0, total // 1000, total // 1000 + 1, total // 2000, rng.randint(0, 300)])
    dropped = rng.randint(0, bad)
    return {
        "records_total": total,
        "records_dropped": dropped if dropped or rng.random() < 0.7 else None,
        "records_invalid": bad - dropped if bad - dropped or rng.random() < 0.7 else None,
        "critical_nulls": rng.choice([0, 0, 0, 0, None, 1]),
    }


def run(rng: random.Random, pipeline, counter: list[int], scheduled: datetime, status: str) -> Run:
    counter[0] += 1
    # A successful run always has its finish time (the database insists); a failed one may lack it.
    finished = delivery(rng, scheduled) if status == "success" or (status == "failed" and rng.random() < 0.9) else None
    available = delivery(rng, scheduled) if status == "success" and rng.random() < 0.7 else None
    return Run(
        pipeline=pipeline,
        external_id=f"{pipeline.slug}-{counter[0]}",
        scheduled_for=scheduled,
        status=status,
        finished_at=finished,
        data_available_at=available,
        **record_counts(rng),
    )


def random_month(rng: random.Random) -> tuple[date, datetime]:
    """Runs for a few pipelines in a random month; returns the month and the `now` to compute at."""
    month = date(rng.choice([2025, 2026]), rng.randint(1, 12), 1)
    start, end = sla.month_bounds(month.year, month.month)
    policy = SlaPolicy.current()
    policy.bad_records_pct = rng.choice(BAD_RECORDS_PCTS)
    policy.save()
    runs: list[Run] = []
    for schedule in rng.sample(SCHEDULES, rng.randint(2, len(SCHEDULES))):
        pipeline = PipelineFactory(schedule=schedule)
        counter = [0]
        failure_rate = rng.choice([0.0, 0.02, 0.3])
        # Now and then an outage of whole days, or a pipeline that never ran this month.
        down_from = start + timedelta(days=rng.randint(0, 27))
        down_until = down_from + timedelta(days=rng.choice([0, 0, 1, 3, 40]))
        for moment in sla.scheduled_occurrences(schedule, start, end):
            if rng.random() < 0.05 or down_from <= moment < down_until:
                continue  # missing
            attempts = 1 + (rng.random() < 0.15) + (rng.random() < 0.05)
            for attempt in range(attempts):
                if rng.random() < failure_rate or attempt < attempts - 1:
                    status = "running" if rng.random() < 0.2 else "failed"
                else:
                    status = "success"
                runs.append(run(rng, pipeline, counter, moment, status))
            if rng.random() < 0.01:
                # Off the schedule by a little or a lot: unmatched, whatever its status.
                offset = rng.choice([timedelta(microseconds=1), timedelta(milliseconds=500), timedelta(minutes=7)])
                runs.append(run(rng, pipeline, counter, moment + offset, rng.choice(["success", "failed"])))
    Run.objects.bulk_create(runs)
    now = rng.choice(
        [
            end + timedelta(days=1),
            start + timedelta(days=rng.randint(0, 27), hours=rng.randint(0, 23)),  # on an occurrence
            start + timedelta(seconds=rng.randint(0, int((end - start).total_seconds()))),
        ]
    )
    return month, now


def full_list_month(month: date, now: datetime, pipeline) -> sla.MonthlySla:
    """The month over every run, as RunFacts, as the SLA service used to build them."""
    start, end = sla.month_bounds(month.year, month.month)
    policy_row = SlaPolicy.current()
    hours = team_business_hours(start, end, opens=policy_row.business_opens, closes=policy_row.business_closes)
    rows = (
        Run.objects.in_window(start, end)
        .filter(pipeline=pipeline)
        .annotate(delivered=Coalesce("data_available_at", "finished_at"))
        .values_list(
            "id", "external_id", "scheduled_for", "status", "delivered",
            "records_total", "records_dropped", "records_invalid", "critical_nulls",
        )
    )  # fmt: skip
    runs = [
        sla.RunFact(run_id, external_id, scheduled, status, None, delivered, total, dropped, invalid, nulls)
        for run_id, external_id, scheduled, status, delivered, total, dropped, invalid, nulls in rows
    ]
    return oracle.compute_month(
        year=month.year,
        month=month.month,
        cron=pipeline.schedule,
        runs=runs,
        incidents=[],
        notice_days=set(),
        holidays=hours.holidays,
        business_hours=hours,
        policy=policy_values(policy_row),
        now=now,
    )


@pytest.mark.parametrize("seed", range(15))
def test_stored_month_equals_the_rules_over_every_run(seed):
    rng = random.Random(seed)
    month, now = random_month(rng)
    sla_month_compute(month=month, now=now)
    reports = SlaReport.objects.filter(month=month).select_related("pipeline")
    assert reports.count() >= 2
    for report in reports:
        expected = full_list_month(month, now, report.pipeline)
        assert {name: getattr(report, name) for name in SLA_FIGURES} == {
            name: getattr(expected, name) for name in SLA_FIGURES
        }
        assert report.details == as_json(expected.details)


class DataclassJSONEncoder(DjangoJSONEncoder):
    def default(self, o):
        return {f.name: getattr(o, f.name) for f in fields(o)} if is_dataclass(o) else super().default(o)


@pytest.mark.parametrize("seed", range(4))
def test_stored_lists_are_what_json_text_would_give(seed):
    """`as_json` converts in place what writing the month as JSON text and reading it back gives."""
    rng = random.Random(seed)
    month, now = random_month(rng)
    for pipeline in Pipeline.objects.all():
        result = full_list_month(month, now, pipeline)
        assert as_json(result) == json.loads(json.dumps(result, cls=DataclassJSONEncoder))
        assert json.dumps(as_json(result.details), sort_keys=True) == json.dumps(
            result.details, cls=DataclassJSONEncoder, sort_keys=True
        )


def test_the_random_months_reach_the_edge_cases():
    """Unmatched, running and missing occurrences, breaches, unreported runs and late days all occur."""
    seen = {"unmatched": 0, "running": 0, "missing": 0, "quality": 0, "unreported": 0, "late": 0, "silent days": 0}
    for seed in range(15):
        rng = random.Random(seed)
        month, now = random_month(rng)
        for pipeline in Pipeline.objects.all():
            details = full_list_month(month, now, pipeline).details
            seen["unmatched"] += len(details.unmatched_runs)
            seen["running"] += sum(f.status == "running" for f in details.failed_occurrences)
            seen["missing"] += sum(f.status == "missing" for f in details.failed_occurrences)
            seen["quality"] += len(details.quality_breaches)
            seen["unreported"] += len(details.unreported_runs)
            seen["late"] += len(details.late_days)
            # UTC days on which a pipeline that runs several times a day missed every due time.
            missing_days = Counter(f.scheduled_for.date() for f in details.failed_occurrences if f.status == "missing")
            seen["silent days"] += pipeline.schedule == "0 * * * *" and any(n == 24 for n in missing_days.values())
        Pipeline.objects.all().delete()
    assert all(seen.values()), seen
