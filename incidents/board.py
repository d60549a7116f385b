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


def delivery_board(*, now: datetime | None = None) -> tuple[datetime, bool, list[BoardRow]]:
    """Each pipeline's delivery today (the UTC date) against the deadline: (deadline, business day?, rows).

    The deadline is shown on the wall clock of the policy's zone; the rules are `pipelines.deliveries`'.
    """
    now = now or timezone.now()
    policy = SlaPolicy.current()
    today = now.astimezone(UTC).date()
    deadline = deliveries.deadline_at(today, policy.deadline, policy.deadline_timezone)
    business_day = is_business_day(today, team_closed_days(now))
    delivered = deliveries.deliveries_on(today, now=now)
    with_runs = deliveries.pipelines_with_runs()
    automatic = dict(
        Incident.objects.unresolved().filter(automatic=True, pipeline__isnull=False).values_list("pipeline_id", "pk")
    )
    rows = []
    for pipeline in Pipeline.objects.with_runbook_relations():
        at = delivered.get(pipeline.pk)
        state = deliveries.delivery_state(at, due=deadline, now=now)
        rows.append(BoardRow(pipeline, state, at, pipeline.pk in with_runs, automatic.get(pipeline.pk)))
    return deadline.astimezone(ZoneInfo(policy.deadline_timezone)), business_day, rows
