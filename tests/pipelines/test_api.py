import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.pipelines.factories import PipelineFactory

pytestmark = pytest.mark.django_db


def test_pipelines_api_lists_owners_team_and_dependencies_by_slug(api, imported_seed):
    response = api.get("/api/pipelines/unit-level-profit-pipeline-for-experiments/")
    assert response.status_code == 200
    body = response.json()
    assert body["primary_owner"] == "jasmine.glancy"
    assert body["secondary_owner"] == "jackson.long"
    assert body["downstream_team"] == "Profit"
    assert body["depends_on"] == ["profit-pipeline"]
    assert body["delay_rules"][0]["contact"] == "Ray Charley"
    assert body["delay_rules"][0]["days_after_deadline"] == 2
    profit = api.get("/api/pipelines/profit-pipeline/").json()
    assert set(profit["dependents"]) == {
        "unit-level-profit-pipeline-for-experiments",
        "aggregate-profit-pipeline-for-investors",
    }
    assert len(profit["column_aliases"]) == 15


def test_pipelines_api_paginates_with_next_links(api):
    PipelineFactory.create_batch(55)
    first = api.get("/api/pipelines/").json()
    assert first["count"] == 55 and len(first["results"]) == 50
    assert first["next"].endswith("/api/pipelines/?page=2")
    assert len(api.get(first["next"]).json()["results"]) == 5


def test_pipelines_api_search_filter(api, imported_seed):
    body = api.get("/api/pipelines/", {"q": "bots"}).json()
    assert [p["slug"] for p in body["results"]] == ["engagement-pipeline"]


def owners_and_team(pipelines) -> dict[str, tuple[str, str, str]]:
    """Each pipeline's owners (usernames) and downstream team, as the pipelines API shows them."""
    return {
        p.slug: (p.primary_owner.user.username, p.secondary_owner.user.username, p.critical_downstream_team.name)
        for p in pipelines
    }


def listed_owners_and_team(body) -> dict[str, tuple[str, str, str]]:
    return {p["slug"]: (p["primary_owner"], p["secondary_owner"], p["downstream_team"]) for p in body["results"]}


def test_pipelines_api_query_count_is_flat(api, django_assert_max_num_queries):
    pipelines = PipelineFactory.create_batch(2)
    with CaptureQueriesContext(connection) as few:
        body = api.get("/api/pipelines/").json()
    assert listed_owners_and_team(body) == owners_and_team(pipelines)
    pipelines += PipelineFactory.create_batch(20)
    with django_assert_max_num_queries(len(few)):
        body = api.get("/api/pipelines/").json()
    assert body["count"] == 22 and listed_owners_and_team(body) == owners_and_team(pipelines)


def test_members_api_query_count_is_flat(api, member, django_assert_max_num_queries):
    def usernames(pipelines) -> set[str]:
        owners = {owner for p in pipelines for owner in (p.primary_owner, p.secondary_owner)}
        return {owner.user.username for owner in owners | {member}}

    pipelines = PipelineFactory.create_batch(2)
    with CaptureQueriesContext(connection) as few:
        body = api.get("/api/members/").json()
    assert {m["username"] for m in body["results"]} == usernames(pipelines)
    pipelines += PipelineFactory.create_batch(20)
    with django_assert_max_num_queries(len(few)):
        body = api.get("/api/members/").json()
    assert body["count"] == 45 and {m["username"] for m in body["results"]} == usernames(pipelines)


def test_manager_edits_schedule_and_runbook_fields(manager_api):
    pipeline = PipelineFactory()
    response = manager_api.patch(
        f"/api/pipelines/{pipeline.slug}/",
        {"schedule": "30 5 * * 1-5", "standard_procedures": "- restart it", "name": "Renamed"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    pipeline.refresh_from_db()
    assert pipeline.schedule == "30 5 * * 1-5"
    assert pipeline.standard_procedures == "- restart it"
    assert pipeline.name != "Renamed"  # the name comes from the plan


def test_invalid_schedule_gets_a_field_error(manager_api):
    pipeline = PipelineFactory()
    response = manager_api.patch(f"/api/pipelines/{pipeline.slug}/", {"schedule": "daily"}, format="json")
    assert response.status_code == 400
    assert "schedule" in response.json()
    pipeline.refresh_from_db()
    assert pipeline.schedule == "0 0 * * *"


def test_member_cannot_edit_pipelines(api):
    pipeline = PipelineFactory()
    response = api.patch(f"/api/pipelines/{pipeline.slug}/", {"schedule": "0 1 * * *"}, format="json")
    assert response.status_code == 403


def test_manager_creates_a_member_with_a_first_last_login(manager_api):
    response = manager_api.post(
        "/api/members/", {"name": "Nadia Okafor", "email": "nadia@example.com", "area": "Price"}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["username"] == "nadia.okafor"
    duplicate = manager_api.post("/api/members/", {"name": "Nadia Okafor"}, format="json")
    assert duplicate.status_code == 400


def test_manager_adds_an_email_to_a_member(manager_api, member):
    response = manager_api.patch(f"/api/members/{member.pk}/", {"email": "new@example.com"}, format="json")
    assert response.status_code == 200
    member.refresh_from_db()
    assert member.email == "new@example.com"


def test_member_cannot_create_or_edit_members(api, member):
    assert api.post("/api/members/", {"name": "Someone Else"}, format="json").status_code == 403
    assert api.patch(f"/api/members/{member.pk}/", {"email": "x@example.com"}, format="json").status_code == 403


def test_token_exchange_and_token_authentication(member):
    member.user.set_password("s3cret-pass-word")
    member.user.save()
    client = APIClient()
    bad = client.post("/api/auth/token/", {"username": member.user.username, "password": "wrong"})
    assert bad.status_code == 400
    token = client.post("/api/auth/token/", {"username": member.user.username, "password": "s3cret-pass-word"})
    assert token.status_code == 200
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.json()['token']}")
    assert client.get("/api/members/").status_code == 200


def test_drf_create_token_command_gives_a_working_token(member):
    call_command("drf_create_token", member.user.username)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get(user=member.user).key}")
    assert client.get("/api/pipelines/").status_code == 200


def test_schema_and_docs_are_served_without_a_cdn(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert "/api/pipelines/{slug}/" in schema.json()["paths"]
    docs = api.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "swagger-ui" in html and "cdn." not in html and "unpkg" not in html
