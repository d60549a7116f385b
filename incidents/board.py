"""Today's 08:00 board: each pipeline's delivery against the deadline."""

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from django.utils import timezone

from oncall.calendar import is_business_day, team_closed_days
from pipelines import deliveries
from pipelines.models import Pipeline, SlaPolicy

from .models import Incident

# --- today's 08:00 board -------------------------------------------------------------------------


@dataclass(frozen=True)
class BoardRow:
    pipeline: Pipeline
    state: str  # "on time" | "late" | "missing" | "waiting"
    delivered_at: datetime | None
    has_runs: bool = True  # False: "no runs received" yet, reported here rather than paged daily
    automatic_incident_id: int | None = None  # the open incident the portal opened for it


ATTENTION = ("late", "missing")
STATES = ("on time", "waiting", "late", "missing")


@dataclass(frozen=True)
class Board:
    """Today's deliveries: every pipeline counted by state, and the rows of those that need attention."""

    deadline: datetime  # on the wall clock of the policy's zone
    business_day: bool
    counts: dict[str, int]  # pipelines per state, all of them, in STATES order
    rows: list[BoardRow]  # late or missing, never ran, or with an open automatic incident; by name

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def delivery_board(*, now: datetime | None = None) -> Board:
    """Each pipeline's delivery today (the UTC date) against the deadline, in a fixed number of queries.

    A thousand pipelines are counted; only those that need attention are read with their owners. The
    deadline is shown on the wall clock of the policy's zone; the rules are `pipelines.deliveries`'.
    """
    now = now or timezone.now()
    policy = SlaPolicy.current()
    today = now.astimezone(UTC).date()
    deadline = deliveries.deadline_at(today, policy.deadline, policy.deadline_timezone)
    business_day = is_business_day(today, team_closed_days(now))
    delivered = deliveries.deliveries_on(today, now=now)
    pipeline_ids = list(Pipeline.objects.values_list("pk", flat=True))
    # A pipeline that delivered today has runs; only the others are looked up.
    with_runs = delivered.keys() | deliveries.pipelines_with_runs([pk for pk in pipeline_ids if pk not in delivered])
    automatic = dict(
        Incident.objects.unresolved().filter(automatic=True, pipeline__isnull=False).values_list("pipeline_id", "pk")
    )
    counts = dict.fromkeys(STATES, 0)
    attention: dict[int, tuple] = {}
    for pk in pipeline_ids:
        at = delivered.get(pk)
        state = deliveries.delivery_state(at, due=deadline, now=now)
        counts[state] += 1
        if state in ATTENTION or pk not in with_runs or pk in automatic:
            attention[pk] = (state, at, pk in with_runs, automatic.get(pk))
    rows = [
        BoardRow(pipeline, *attention[pipeline.pk])
        for pipeline in Pipeline.objects.with_owners()
        .without_runbook_text()
        .filter(pk__in=list(attention))
        .order_by("name")
    ]
    return Board(deadline.astimezone(ZoneInfo(policy.deadline_timezone)), business_day, counts, rows)
