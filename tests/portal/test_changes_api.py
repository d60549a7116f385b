"""The change log over the API and on the object pages."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from tests.conftest import NOW
from tests.oncall.factories import TeamMemberFactory
from tests.pipelines.factories import PipelineFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def edited(clock, manager_api):
    """A pipeline whose runbook a manager edited a minute after it was made."""
    pipeline = PipelineFactory(description="Loads data.")
    clock.move_to(NOW + timedelta(minutes=1))
    response = manager_api.patch(f"/api/pipelines/{pipeline.slug}/", {"description": "Loads sales."}, format="json")
    assert response.status_code == 200
    return pipeline


def test_pipeline_history_endpoint_lists_the_runbook_changes_newest_first(api, edited, manager):
    response = api.get(f"/api/pipelines/{edited.slug}/history/")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 4  # the edit; the pipeline and its two owners created
    newest = body["results"][0]
    assert newest == {
        "object_type": "pipeline",
        "object_id": edited.pk,
        "object": f"Pipeline {edited.name}",
        "action": "changed",
        "at": "2026-11-25T12:01:00Z",
        "actor": manager.user.username,
        "actor_name": manager.name,
        "source": "API",
        "changes": [{"field": "description", "before": "Loads data.", "after": "Loads sales."}],
    }
    assert {r["object_type"] for r in body["results"][1:]} == {"pipeline", "ownership"}


def test_pipeline_history_endpoint_404s_for_an_unknown_pipeline(api):
    assert api.get("/api/pipelines/nope/history/").status_code == 404


def test_changes_endpoint_filters_by_object_and_actor(api, edited, manager):
    other = PipelineFactory()
    everything = api.get("/api/changes/").json()
    assert everything["count"] >= 8  # both pipelines, their owners, the members behind them, the edit
    one = api.get("/api/changes/", {"object_type": "pipeline", "object_id": other.pk}).json()
    assert {(r["object_type"], r["action"]) for r in one["results"]} == {
        ("pipeline", "created"),
        ("ownership", "created"),
    }
    assert {r["object_id"] for r in one["results"] if r["object_type"] == "pipeline"} == {other.pk}
    by_manager = api.get("/api/changes/", {"actor": manager.user.username}).json()
    assert [(r["object_type"], r["object_id"]) for r in by_manager["results"]] == [("pipeline", edited.pk)]
    members = api.get("/api/changes/", {"object_type": "member"}).json()
    assert members["count"] > 0 and {r["object_type"] for r in members["results"]} == {"member"}


@pytest.mark.parametrize(
    ("params", "field"), [({"object_type": "spaceship"}, "object_type"), ({"object_id": 3}, "object_id")]
)
def test_changes_endpoint_refuses_unknown_filters(api, params, field):
    response = api.get("/api/changes/", params)
    assert response.status_code == 400 and field in response.json()


def test_changes_endpoint_paginates(api):
    TeamMemberFactory.create_batch(54)  # and the member behind `api`: 55
    first = api.get("/api/changes/", {"object_type": "member"}).json()
    assert first["count"] == 55 and len(first["results"]) == 50
    second = api.get(first["next"]).json()
    assert len(second["results"]) == 5 and second["next"] is None
    assert not {r["object_id"] for r in first["results"]} & {r["object_id"] for r in second["results"]}


def test_changes_endpoint_needs_a_signed_in_user():
    assert APIClient().get("/api/changes/").status_code == 401


def made_entries(member, pipelines) -> dict[tuple[str, int], tuple[str, str]]:
    """The creation of each row the factories made: its label and the name (for an ownership, the pipeline) set."""
    entries = {("member", member.pk): (f"Team member {member.name}", member.name)}
    for pipeline in pipelines:
        team = pipeline.critical_downstream_team
        entries[("pipeline", pipeline.pk)] = (f"Pipeline {pipeline.name}", pipeline.name)
        entries[("downstream_team", team.pk)] = (f"Downstream team {team.name}", team.name)
        for ownership in pipeline.ownerships.select_related("member"):
            entries[("ownership", ownership.pk)] = (f"Ownership #{ownership.pk}", pipeline.name)
            entries[("member", ownership.member.pk)] = (f"Team member {ownership.member.name}", ownership.member.name)
    return entries


def listed_entries(body) -> dict[tuple[str, int], tuple[str, str]]:
    entries = {}
    for row in body["results"]:
        after = {change["field"]: change["after"] for change in row["changes"]}
        entries[(row["object_type"], row["object_id"])] = (row["object"], after.get("name", after.get("pipeline")))
    return entries


def test_changes_endpoint_query_count_is_flat(api, member, django_assert_max_num_queries):
    pipelines = PipelineFactory.create_batch(2)
    with CaptureQueriesContext(connection) as few:
        body = api.get("/api/changes/").json()
    assert listed_entries(body) == made_entries(member, pipelines)
    pipelines += PipelineFactory.create_batch(10)
    with django_assert_max_num_queries(len(few)):
        body = api.get("/api/changes/").json()
    # The member, and per pipeline: it, its team, its two owners and their ownerships; the newest 50 shown.
    assert body["count"] == 1 + 12 * 6 and len(body["results"]) == 50
    assert listed_entries(body).items() <= made_entries(member, pipelines).items()


def test_changes_endpoint_documents_its_object_types(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    parameters = schema["paths"]["/api/changes/"]["get"]["parameters"]
    object_type = next(p for p in parameters if p["name"] == "object_type")
    assert {"pipeline", "member", "rotation", "rotation_membership", "trade", "sla_policy", "sla_review"} <= set(
        object_type["schema"]["enum"]
    )
    assert "/api/pipelines/{slug}/history/" in schema["paths"]


def test_runbook_page_shows_its_history(member_client, edited, manager):
    html = member_client.get(edited.get_absolute_url()).content.decode()
    section = html[html.index('<section class="change-log" aria-labelledby="history">') :]
    assert manager.name in section and "API" in section
    assert "<strong>Description</strong>: <del>Loads data.</del> → <ins>Loads sales.</ins>" in section
    assert '<a href="#history">History</a>' in html


def test_team_and_oncall_pages_show_their_history(member_client, manager_api):
    ada = TeamMemberFactory(name="Ada Lovelace", area="Growth")
    manager_api.patch(f"/api/members/{ada.pk}/", {"area": "Profit"}, format="json")
    html = member_client.get("/team/").content.decode()
    assert "<del>Growth</del> → <ins>Profit</ins>" in html
    rotation = manager_api.post(
        "/api/rotations/", {"name": "Data platform", "order": [ada.user.username]}, format="json"
    ).json()
    html = member_client.get("/oncall/", {"rotation": rotation["id"]}).content.decode()
    section = html[html.index("Rotation history") :]
    assert "Rotation Data platform created" in section and "Ada Lovelace" in section
