"""`POST /api/runs/` with a list: a backfill stored together or not at all, by the single run's rules."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from incidents.models import Incident
from pipelines.models import Run
from pipelines.services import MAX_RUNS_PER_BATCH
from tests.pipelines.factories import PipelineFactory
from tests.pipelines.test_runs_api import RUN

pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)


def runs(pipeline, days: int, start: datetime = MONDAY - timedelta(days=30), **changes) -> list[dict]:
    """One successful daily run per day from `start`, as an orchestrator backfilling them sends them."""
    batch = []
    for day in range(days):
        at = start + timedelta(days=day)
        batch.append(
            {
                **RUN,
                "pipeline": pipeline.slug,
                "external_id": f"scheduled__{at:%Y-%m-%d}",
                "scheduled_for": at.isoformat(),
                "started_at": (at + timedelta(seconds=5)).isoformat(),
                "finished_at": (at + timedelta(minutes=40)).isoformat(),
                "data_available_at": (at + timedelta(minutes=41)).isoformat(),
                **changes,
            }
        )
    return batch


@pytest.fixture
def pipeline():
    return PipelineFactory(slug="profit-pipeline")


def test_a_backfill_stores_new_runs_and_updates_re_sent_ones(service, pipeline):
    first = service.post("/api/runs/", runs(pipeline, 2), format="json")
    assert first.status_code == 200, first.json()
    assert (first.json()["created"], first.json()["updated"]) == (2, 0)
    # The second batch re-sends the first day without record counts and adds a third day.
    batch = runs(pipeline, 3)
    del batch[0]["records_total"]
    batch[0]["records_dropped"] = 40
    second = service.post("/api/runs/", batch, format="json")
    assert second.status_code == 200, second.json()
    body = second.json()
    assert (body["created"], body["updated"]) == (1, 2)
    assert [(run["external_id"], run["created"]) for run in body["runs"]] == [
        ("scheduled__2026-10-24", False),
        ("scheduled__2026-10-25", False),
        ("scheduled__2026-10-26", True),
    ]
    assert Run.objects.count() == 3
    resent = Run.objects.get(external_id="scheduled__2026-10-24")
    # Like a single re-sent run: the fields it reports change, the ones it leaves out stay.
    assert (resent.records_total, resent.records_dropped) == (120000, 40)
    assert body["runs"][0]["id"] == resent.pk


def test_one_bad_run_stores_none_and_names_its_place(service, pipeline):
    batch = runs(pipeline, 3)
    batch[1]["status"] = "exploded"
    batch[2]["finished_at"] = "2026-10-20T00:00:00Z"  # before it started
    response = service.post("/api/runs/", batch, format="json")
    assert response.status_code == 400
    assert {place: list(fields) for place, fields in response.json().items()} == {"1": ["status"]}
    assert Run.objects.count() == 0
    # The model's own rules are checked per run as well, once the fields are well-formed.
    batch[1]["status"] = "success"
    response = service.post("/api/runs/", batch, format="json")
    assert response.status_code == 400
    assert {place: list(fields) for place, fields in response.json().items()} == {"2": ["finished_at"]}
    assert Run.objects.count() == 0


def test_a_run_named_twice_in_a_batch_is_refused(service, pipeline):
    batch = runs(pipeline, 2)
    batch.append(dict(batch[0]))
    response = service.post("/api/runs/", batch, format="json")
    assert response.status_code == 400
    assert response.json() == {"2": {"external_id": ["This run appears more than once in the batch."]}}
    assert Run.objects.count() == 0


def test_unknown_pipelines_empty_and_oversized_batches_are_refused(service, pipeline):
    batch = runs(pipeline, 2)
    batch[1]["pipeline"] = "no-such-pipeline"
    response = service.post("/api/runs/", batch, format="json")
    assert response.status_code == 400 and list(response.json()) == ["1"] and "pipeline" in response.json()["1"]
    assert service.post("/api/runs/", [], format="json").status_code == 400
    too_many = runs(pipeline, 1) * (MAX_RUNS_PER_BATCH + 1)
    response = service.post("/api/runs/", too_many, format="json")
    assert response.status_code == 400
    assert "1000" in str(response.json())
    assert Run.objects.count() == 0


def test_people_may_not_backfill_but_managers_may(member, manager, pipeline):
    person, boss = APIClient(), APIClient()
    person.force_authenticate(member.user)
    boss.force_authenticate(manager.user)
    assert person.post("/api/runs/", runs(pipeline, 1), format="json").status_code == 403
    assert boss.post("/api/runs/", runs(pipeline, 1), format="json").status_code == 200


def test_only_the_newest_run_of_each_pipeline_can_open_an_incident(service, on_call_team, pipeline):
    quiet = PipelineFactory(slug="engagement-pipeline")
    # History with a failure that a retry the next day made good: no page for the past.
    history = runs(pipeline, 3, start=MONDAY - timedelta(days=3))
    history[0].update(status="failed", finished_at=history[0]["started_at"], data_available_at=None)
    # The other pipeline's newest run failed: that is news.
    failing = runs(quiet, 2, start=MONDAY - timedelta(days=2))
    failing[-1].update(status="failed", finished_at=failing[-1]["started_at"], data_available_at=None)
    response = service.post("/api/runs/", history + failing, format="json")
    assert response.status_code == 200, response.json()
    incident = Incident.objects.get()
    assert incident.pipeline == quiet and incident.automatic


def test_a_batch_takes_the_same_queries_for_ten_runs_as_for_sixty(service, pipeline):
    other = PipelineFactory(slug="engagement-pipeline")
    service.post("/api/runs/", runs(pipeline, 1), format="json")  # warm the token's session
    counts = []
    # (Up to the rows one statement may carry: SQLite takes 999 parameters, so it splits a larger insert.)
    for pipe, size in ((pipeline, 10), (other, 60)):
        with CaptureQueriesContext(connection) as queries:
            response = service.post(
                "/api/runs/", runs(pipe, size, start=MONDAY - timedelta(days=size + 1)), format="json"
            )
        assert response.status_code == 200, response.json()
        assert response.json()["created"] == size
        counts.append(len(queries))
    assert Run.objects.filter(pipeline=other).count() == 60
    assert counts[0] == counts[1]
