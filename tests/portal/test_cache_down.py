"""Redis, as the cache, unreachable: the portal goes on without it, unthrottled, reading sessions from the database."""

import pytest

from pipelines.models import Run
from portal.settings.base import redis_cache
from tests.oncall.factories import TeamMemberFactory

pytestmark = pytest.mark.django_db

UNREACHABLE_REDIS = "redis://127.0.0.1:9/0"  # the discard port: nothing listens there


@pytest.fixture
def cache_down(settings):
    settings.CACHES = {"default": redis_cache(UNREACHABLE_REDIS)}


def test_a_pipeline_posts_its_run_while_the_cache_is_down(cache_down, service, pipeline):
    response = service.post(
        "/api/runs/",
        {"pipeline": pipeline.slug, "external_id": "r1", "scheduled_for": "2026-11-25T06:00:00Z", "status": "running"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert Run.objects.filter(pipeline=pipeline, external_id="r1").exists()


def test_a_member_signs_in_and_reads_pages_while_the_cache_is_down(cache_down, client):
    member = TeamMemberFactory()
    member.user.set_password("a-long-test-passphrase")
    member.user.save()
    signed_in = client.post(
        "/accounts/login/", {"username": member.user.username, "password": "a-long-test-passphrase"}
    )
    assert signed_in.status_code == 302, signed_in.content
    assert client.get("/").status_code == 200
    assert client.get("/api/pipelines/").status_code == 200
