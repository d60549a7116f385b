import functools
from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from pipelines.models import Run
from tests.pipelines.factories import PipelineFactory, RunFactory
from tests.races import postgresql_only, race

pytestmark = pytest.mark.django_db

RUN = {
    "external_id": "scheduled__2026-11-24T06:00:00+00:00",
    "scheduled_for": "2026-11-24T06:00:00Z",
    "started_at": "2026-11-24T06:00:05Z",
    "finished_at": "2026-11-24T06:41:00Z",
    "status": "success",
    "data_available_at": "2026-11-24T06:42:00Z",
    "records_total": 120000,
    "records_dropped": 12,
    "records_invalid": 3,
    "critical_nulls": 0,
}


@pytest.fixture
def pipeline():
    return PipelineFactory(slug="profit-pipeline")


def test_service_token_posts_a_run_and_a_resent_run_updates_it(service, pipeline):
    first = service.post(
        "/api/runs/", {**RUN, "pipeline": pipeline.slug, "status": "running", "finished_at": None}, format="json"
    )
    assert first.status_code == 201, first.json()
    again = service.post("/api/runs/", {**RUN, "pipeline": pipeline.slug}, format="json")
    assert again.status_code == 200, again.json()
    assert again.json()["id"] == first.json()["id"]
    run = Run.objects.get()
    assert run.status == "success" and run.records_dropped == 12


@pytest.mark.parametrize(
    "change, field",
    [
        ({"pipeline": "no-such-pipeline"}, "pipeline"),
        ({"status": "exploded"}, "status"),
        ({"records_dropped": -1}, "records_dropped"),
        ({"scheduled_for": "yesterday"}, "scheduled_for"),
        ({"finished_at": "2026-11-24T05:00:00Z"}, "finished_at"),
        ({"records_invalid": 200000}, "records_invalid"),
        ({"external_id": ""}, "external_id"),
        ({"data_available_at": "2026-11-24T06:00:00Z"}, "data_available_at"),
        ({"finished_at": None}, "finished_at"),  # a success needs its finish time
        ({"scheduled_for": "0001-01-01T00:00:00Z"}, "scheduled_for"),
        ({"scheduled_for": "9999-12-31T00:00:00Z"}, "scheduled_for"),
        ({"finished_at": "9999-12-31T23:59:59Z"}, "finished_at"),
        ({"started_at": "0001-01-01T00:00:00Z"}, "started_at"),
        ({"data_available_at": "2031-01-01T00:00:00Z"}, "data_available_at"),
    ],
)
def test_bad_runs_get_field_errors_and_write_nothing(service, pipeline, change, field):
    response = service.post("/api/runs/", {**RUN, "pipeline": pipeline.slug, **change}, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Run.objects.exists()


def test_a_bad_resend_leaves_the_stored_run_as_it_was(service, pipeline):
    service.post("/api/runs/", {**RUN, "pipeline": pipeline.slug}, format="json")
    response = service.post(
        "/api/runs/", {**RUN, "pipeline": pipeline.slug, "finished_at": "2026-11-24T05:00:00Z"}, format="json"
    )
    assert response.status_code == 400
    assert Run.objects.get().finished_at.hour == 6


def test_service_token_may_only_post_runs(service, pipeline):
    for path in ("/api/runs/", "/api/pipelines/", "/api/members/", f"/api/pipelines/{pipeline.slug}/"):
        assert service.get(path).status_code == 403, path
    assert (
        service.patch(f"/api/pipelines/{pipeline.slug}/", {"schedule": "0 1 * * *"}, format="json").status_code == 403
    )


def test_people_read_runs_and_only_managers_post_by_hand(member, manager, pipeline):
    client = APIClient()
    client.force_authenticate(member.user)
    assert client.get("/api/runs/").status_code == 200
    assert client.post("/api/runs/", {**RUN, "pipeline": pipeline.slug}, format="json").status_code == 403
    client.force_authenticate(manager.user)
    assert client.post("/api/runs/", {**RUN, "pipeline": pipeline.slug}, format="json").status_code == 201


def test_runs_list_filters_and_keeps_a_flat_query_count(member, pipeline, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = APIClient()
    client.force_authenticate(member.user)

    def listed(body) -> list[tuple[str, str, str]]:
        return [(run["pipeline"], run["external_id"], run["status"]) for run in body["results"]]

    for i in range(3):
        RunFactory(pipeline=pipeline, external_id=f"r{i}", scheduled_for=datetime(2026, 11, 20 + i, 6, tzinfo=UTC))
    with CaptureQueriesContext(connection) as few:
        body = client.get("/api/runs/", {"pipeline": pipeline.slug}).json()
    assert len(body["results"]) == 3 and body["next"] is None
    assert listed(body) == [(pipeline.slug, f"r{i}", "success") for i in (2, 1, 0)]  # the latest first
    other = PipelineFactory()
    failed = RunFactory.create_batch(
        20, pipeline=other, scheduled_for=datetime(2026, 11, 20, 6, tzinfo=UTC), status="failed"
    )
    with django_assert_max_num_queries(len(few)):
        body = client.get("/api/runs/").json()
    assert len(body["results"]) == 23 and body["next"] is None
    assert sorted(listed(body)) == sorted(
        [(pipeline.slug, f"r{i}", "success") for i in range(3)]
        + [(other.slug, run.external_id, "failed") for run in failed]
    )
    assert client.get("/api/runs/", {"scheduled_after": "not-a-time"}).status_code == 400


def test_runs_filter_by_a_time_with_any_iso_offset(pipeline, member):
    """ISO 8601 allows offsets PostgreSQL refuses (beyond ±15:59): the filter compares the UTC instant."""
    for external_id, hour in [("early", 4), ("late", 5)]:
        Run.objects.create(
            pipeline=pipeline, external_id=external_id, scheduled_for=f"2026-06-09T0{hour}:00:00Z", status="running"
        )
    client = APIClient()
    client.force_authenticate(member.user)
    # 05:07:24 at -23:18 is 04:25:24 UTC the next day.
    body = client.get("/api/runs/", {"scheduled_after": "2026-06-08T05:07:24-23:18"}).json()
    assert [run["external_id"] for run in body["results"]] == ["late"]
    refused = client.get("/api/runs/", {"scheduled_before": "0001-01-01T00:10:00+23:00"})
    assert refused.status_code == 400 and "scheduled_before" in refused.json()


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_one_new_run_delivered_by_16_threads_at_once_is_accepted_every_time():
    pipeline = PipelineFactory(slug="profit-pipeline")
    out = StringIO()
    call_command("create_service_token", "airflow", stdout=out)
    token = out.getvalue().split(": ")[1].strip()

    def deliver(external_id):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        return client.post("/api/runs/", {**RUN, "pipeline": pipeline.slug, "external_id": external_id}, format="json")

    # Several rounds: a lost race is rare in one round and certain over a few.
    for round_ in range(5):
        responses = race([functools.partial(deliver, f"retried-{round_}")] * 16)
        assert all(not isinstance(r, Exception) for r in responses), responses
        codes = sorted(r.status_code for r in responses)
        assert set(codes) <= {200, 201}, [r.json() for r in responses if r.status_code not in (200, 201)]
        assert codes.count(201) == 1
        assert Run.objects.filter(external_id=f"retried-{round_}").count() == 1


def test_runs_list_pages_by_cursor_through_every_run_once(api, pipeline):
    # Several runs share a schedule, so the cursor must break ties the way the ordering does.
    other = PipelineFactory()
    for i in range(23):
        RunFactory(pipeline=(pipeline, other)[i % 2], scheduled_for=datetime(2026, 11, 1 + i // 3, 6, tzinfo=UTC))
    newest_first = list(Run.objects.order_by("-scheduled_for", "-pk").values_list("pk", flat=True))

    seen, url, pages = [], "/api/runs/?page_size=5", 0
    while url:
        body = api.get(url).json()
        assert "count" not in body and len(body["results"]) <= 5
        seen += [run["id"] for run in body["results"]]
        url, pages = body["next"], pages + 1
    assert seen == newest_first and pages == 5

    back = api.get(body["previous"]).json()  # from the last page one page back
    assert [run["id"] for run in back["results"]] == newest_first[15:20]
    first = api.get("/api/runs/").json()
    assert len(first["results"]) == 23 and first["next"] is None and first["previous"] is None
