"""A service token (create_service_token) posts runs and reads nothing: no page, no list, no schema, no docs."""

import pytest

from pipelines.models import Run
from tests.pipelines.factories import PipelineFactory
from tests.portal.test_access import PUBLIC_PAGES, concrete_paths

pytestmark = pytest.mark.django_db


def test_a_service_token_reads_no_api_route_not_even_the_schema_or_the_docs(service):
    PipelineFactory(slug="profit-pipeline")
    paths = [p for p in concrete_paths() if p.startswith("/api/") and p != "/api/auth/token/"]
    assert {"/api/schema/", "/api/docs/", "/api/runs/", "/api/notifications/"} <= set(paths)
    answers = {path: service.get(path).status_code for path in paths}
    assert {path: code for path, code in answers.items() if code != 403} == {}
    assert service.options("/api/pipelines/").status_code == 403


def test_a_service_token_opens_no_page(service):
    sign_in_pages = PUBLIC_PAGES | {"/admin/login/"}
    # Feeds and the acknowledge link are guarded by their own signed tokens (tests/portal/test_access.py).
    token_guarded = ("/feeds/", "/incidents/ack/")
    paths = [
        p
        for p in concrete_paths()
        if not p.startswith("/api/") and not any(part in p for part in token_guarded) and p not in sign_in_pages
    ]
    assert "/runbooks/" in paths and "/admin/" in paths
    for path in paths:
        response = service.get(path)
        assert response.status_code in (302, 403, 404), path
        if response.status_code == 302:
            assert response.url.startswith(("/accounts/login/", "/admin/login/")), path


def test_a_service_token_posts_runs(service):
    pipeline = PipelineFactory(slug="profit-pipeline")
    response = service.post(
        "/api/runs/",
        {
            "pipeline": pipeline.slug,
            "external_id": "scheduled__2026-11-24T06:00:00",
            "scheduled_for": "2026-11-24T06:00:00Z",
            "started_at": "2026-11-24T06:01:00Z",
            "status": "running",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert Run.objects.filter(pipeline=pipeline).count() == 1


def test_people_still_read_the_schema_and_the_docs(api):
    assert api.get("/api/schema/").status_code == 200
    assert api.get("/api/docs/").status_code == 200
