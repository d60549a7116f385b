"""The labelled benchmark estate: a platform-sized portal built in an empty database.

Everything it creates says what it is: members are "Bench Member NN", pipelines "Scale Pipeline
NNNN" with a description naming this module's command, runs carry external ids starting with
`scale-`, incidents titles starting with `[scale]`. Random choices come from one seeded generator,
so two loads with the same arguments build the same estate.
"""

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db import connection, transaction

from incidents.choices import IncidentStatus, Severity
from incidents.models import Incident
from oncall.calendar import week_start
from oncall.models import Rotation, RotationMembership, TeamMember
from oncall.months import add_months
from oncall.services import rotation_generate, team_member_create
from pipelines.choices import OwnerRole, RunStatus
from pipelines.models import Contact, DelayRule, DownstreamTeam, Ownership, Pipeline, Run
from pipelines.services import RUN_FIELDS

RUN_PREFIX = "scale-"
INCIDENT_PREFIX = "[scale]"
LABEL = "Benchmark estate built by `manage.py load_scale_data`; not a real pipeline."
HOURLY_SHARE = 0.25  # a quarter of the estate runs every hour, the rest once a day
TEAMS = ("Profit", "Growth", "Price", "Finance", "Marketing", "Risk", "Supply", "Support", "Sales", "Product")

# How often things go wrong, per scheduled occurrence: close to what a large platform sees.
MISSING = 0.002
FAILED = 0.01
LATE = 0.02
DIRTY = 0.005
CRITICAL_NULLS = 0.002
DELAY_RULE_SHARE = 0.3  # pipelines whose runbook names an outside contact for data days late


@dataclass(frozen=True)
class EstateSize:
    pipelines: int
    members: int
    months: int = 12
    incidents: int = 10_000
    open_incidents: int = 500
    years_ahead: int = 10


@dataclass(frozen=True)
class EstateSummary:
    members: int
    pipelines: int
    runs: int
    shifts: int
    incidents: int
    open_incidents: int
    first_month: date


@transaction.atomic
def estate_build(*, size: EstateSize, now: datetime, seed: int = 2026) -> EstateSummary:
    """Members, pipelines with owners and dependencies, a rotation, runs and incidents, in one transaction."""
    rng = random.Random(seed)
    start = datetime.combine(add_months(now.date(), 1 - size.months), time(), UTC)
    members = [
        team_member_create(
            name=f"Bench Member {number:02d}",
            email=f"bench.member.{number:02d}@example.invalid",
            area=rng.choice(TEAMS),
            is_manager=number == 1,
        )
        for number in range(1, size.members + 1)
    ]
    pipelines = _pipelines(size, members, rng)
    runs = _runs(pipelines, start=start, end=now, rng=rng)
    rotation = Rotation.objects.create(name="Bench rotation", start_date=week_start(start.date()))
    RotationMembership.objects.bulk_create(
        RotationMembership(rotation=rotation, member=member, position=position)
        for position, member in enumerate(members)
    )
    shifts = rotation_generate(
        rotation_id=rotation.pk, until=now.date().replace(year=now.year + size.years_ahead), now=start
    ).created
    incidents = _incidents(pipelines, members, size, start=start, now=now, rng=rng)
    return EstateSummary(
        members=len(members),
        pipelines=len(pipelines),
        runs=runs,
        shifts=shifts,
        incidents=len(incidents),
        open_incidents=sum(incident.status != IncidentStatus.RESOLVED for incident in incidents),
        first_month=start.date(),
    )


def _pipelines(size: EstateSize, members: list[TeamMember], rng: random.Random) -> list[Pipeline]:
    teams = DownstreamTeam.objects.bulk_create(
        DownstreamTeam(name=f"{name} team", lead_name=f"{name} Lead", lead_email=f"{name.lower()}.lead@example.invalid")
        for name in TEAMS
    )
    pipelines = Pipeline.objects.bulk_create(
        Pipeline(
            name=f"Scale Pipeline {number:04d}",
            slug=f"scale-pipeline-{number:04d}",
            description=LABEL,
            common_issues=[{"text": "Upstream files arrive late now and then", "known_issue": rng.random() < 0.3}],
            standard_procedures="Re-run the failed task once; if it fails again, page the owner.",
            schedule="0 * * * *" if rng.random() < HOURLY_SHARE else f"0 {rng.randint(0, 6)} * * *",
            critical_downstream_team=rng.choice(teams) if rng.random() < 0.7 else None,
        )
        for number in range(1, size.pipelines + 1)
    )
    ownerships = []
    for index, pipeline in enumerate(pipelines):
        primary = members[index % len(members)]
        ownerships.append(Ownership(pipeline=pipeline, member=primary, role=OwnerRole.PRIMARY))
        if len(members) > 1 and rng.random() < 0.8:
            secondary = members[(index + 1 + rng.randrange(len(members) - 1)) % len(members)]
            if secondary != primary:
                ownerships.append(Ownership(pipeline=pipeline, member=secondary, role=OwnerRole.SECONDARY))
    Ownership.objects.bulk_create(ownerships)
    contacts = Contact.objects.bulk_create(
        Contact(name=f"Bench Contact {name}", organisation=name, email=f"bench.contact.{name.lower()}@example.invalid")
        for name in TEAMS
    )
    DelayRule.objects.bulk_create(
        DelayRule(
            pipeline=pipeline,
            contact=rng.choice(contacts),
            days_after_deadline=rng.choice((1, 2, 3)),
            data_description=f"{pipeline.name} data",
        )
        for pipeline in pipelines
        if rng.random() < DELAY_RULE_SHARE
    )
    # Each pipeline may read from up to two earlier ones, so the dependency graph has no cycle.
    links = Pipeline.depends_on.through
    links.objects.bulk_create(
        links(from_pipeline=pipeline, to_pipeline=upstream)
        for index, pipeline in enumerate(pipelines[1:], start=1)
        for upstream in rng.sample(pipelines[:index], k=min(index, rng.choice((0, 0, 1, 2))))
    )
    return pipelines


def _occurrences(schedule: str, start: datetime, end: datetime) -> Iterator[datetime]:
    """The estate's own two schedule shapes ("0 * * * *" and "0 H * * *"), stepped without croniter."""
    minute, hour = schedule.split()[:2]
    step = timedelta(hours=1) if hour == "*" else timedelta(days=1)
    moment = start if hour == "*" else start.replace(hour=int(hour))
    while moment < end:
        yield moment
        moment += step


RUN_COLUMNS = ("pipeline_id", "external_id", *RUN_FIELDS, "received_at", "updated_at")


def _runs(pipelines: list[Pipeline], *, start: datetime, end: datetime, rng: random.Random) -> int:
    """Runs for every occurrence until two hours ago, with failures, late data and bad records."""
    rows = _run_rows(pipelines, start=start, end=end, rng=rng)
    if connection.vendor == "postgresql":
        # Millions of rows: COPY takes them in seconds where INSERTs take many minutes.
        count = 0
        with (
            connection.cursor() as cursor,
            cursor.copy(f"COPY pipelines_run ({', '.join(RUN_COLUMNS)}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
                count += 1
        return count
    runs = [Run(**dict(zip(RUN_COLUMNS, row, strict=True))) for row in rows]
    Run.objects.bulk_create(runs, batch_size=2000)
    return len(runs)


def _run_rows(pipelines: list[Pipeline], *, start: datetime, end: datetime, rng: random.Random) -> Iterator[tuple]:
    received = end
    for pipeline in pipelines:
        for scheduled in _occurrences(pipeline.schedule, start, end - timedelta(hours=2)):
            roll = rng.random()
            if roll < MISSING:
                continue
            took = timedelta(minutes=rng.randint(5, 50))
            if rng.random() < LATE:
                took += timedelta(hours=rng.randint(2, 9))
            total = rng.randint(10_000, 200_000)
            failed = roll < MISSING + FAILED
            yield (
                pipeline.pk,
                f"{RUN_PREFIX}{scheduled:%Y%m%dT%H%M}",
                scheduled,
                scheduled,
                scheduled + took,
                RunStatus.FAILED.value if failed else RunStatus.SUCCESS.value,
                None if failed else scheduled + took,
                total,
                total // 200 if rng.random() < DIRTY else rng.randint(0, total // 5000),
                rng.randint(0, 3),
                1 if rng.random() < CRITICAL_NULLS else 0,
                received,
                received,
            )


def _incidents(
    pipelines: list[Pipeline],
    members: list[TeamMember],
    size: EstateSize,
    *,
    start: datetime,
    now: datetime,
    rng: random.Random,
) -> list[Incident]:
    """`size.incidents` incidents over the months, the newest `size.open_incidents` of them still open."""
    span = (now - start).total_seconds()
    detected = sorted(start + timedelta(seconds=rng.uniform(0, span)) for _ in range(size.incidents))
    incidents = []
    for index, at in enumerate(detected):
        pipeline = rng.choice(pipelines)
        severity = rng.choice((Severity.CRITICAL, Severity.MAJOR, Severity.MAJOR, Severity.MINOR))
        incident = Incident(
            pipeline=pipeline,
            title=f"{INCIDENT_PREFIX} {pipeline.name} run failed",
            description=LABEL,
            severity=severity,
            detected_at=at,
            assignee=rng.choice(members),
        )
        if index < size.incidents - size.open_incidents:
            # Clamped to now, so no resolved incident claims a future time.
            acknowledged = min(at + timedelta(minutes=rng.choice((3, 8, 14, 40))), now)
            incident.status = IncidentStatus.RESOLVED
            incident.acknowledged_at = acknowledged
            incident.resolved_at = min(acknowledged + timedelta(minutes=rng.choice((30, 90, 170, 400))), now)
        incidents.append(incident)
    return Incident.objects.bulk_create(incidents, batch_size=2000)
