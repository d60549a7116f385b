"""Editing a runbook in the portal: its owners and the managers; ownership and team by managers only."""

import pytest
from rest_framework.test import APIClient

from pipelines.models import Pipeline
from tests.oncall.factories import TeamMemberFactory
from tests.pipelines.factories import DownstreamTeamFactory, PipelineFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def pipeline():
    return PipelineFactory(
        description="Loads *sales*.",
        common_issues=[
            {"text": "Arrives late", "known_issue": False},
            {"text": "Fails without a header row", "known_issue": True},
        ],
        standard_procedures="- restart it",
        column_aliases=["transaction_id"],
    )


def form_data(pipeline: Pipeline, **changes) -> dict:
    """What the edit page posts when nothing is touched, with `changes` on top."""
    data = {
        "description": pipeline.description,
        "standard_procedures": pipeline.standard_procedures,
        "schedule": pipeline.schedule,
        "critical_fields": "\n".join(pipeline.critical_fields),
        "column_aliases": "\n".join(pipeline.column_aliases),
        "issues-TOTAL_FORMS": str(len(pipeline.common_issues) + 2),
        "issues-INITIAL_FORMS": str(len(pipeline.common_issues)),
        "issues-MIN_NUM_FORMS": "0",
        "issues-MAX_NUM_FORMS": "1000",
        "save": "1",
    }
    for i, issue in enumerate(pipeline.common_issues):
        data[f"issues-{i}-text"] = issue["text"]
        if issue["known_issue"]:
            data[f"issues-{i}-known_issue"] = "on"
    data.update(changes)
    return data


def signed_in(client, member):
    client.force_login(member.user)
    return client


def api_as(member) -> APIClient:
    client = APIClient()
    client.force_authenticate(member.user)
    return client


# --- the page -------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["primary_owner", "secondary_owner"])
def test_runbook_edit_page_owners_save_the_runbook(client, pipeline, role):
    owner = getattr(pipeline, role)
    response = signed_in(client, owner).post(
        f"/runbooks/{pipeline.slug}/edit/",
        form_data(
            pipeline,
            description="Loads **sales** nightly.",
            critical_fields="transaction_id\n\namount\n",
            **{"issues-0-known_issue": "on", "issues-1-DELETE": "on", "issues-2-text": "Timezone drift"},
        ),
    )
    assert response.status_code == 302 and response["Location"] == pipeline.get_absolute_url()
    pipeline.refresh_from_db()
    assert pipeline.description == "Loads **sales** nightly."
    assert pipeline.critical_fields == ["transaction_id", "amount"]
    assert pipeline.common_issues == [
        {"text": "Arrives late", "known_issue": True},
        {"text": "Timezone drift", "known_issue": False},
    ]
    page = client.get(pipeline.get_absolute_url()).content.decode()
    assert "<strong>sales</strong> nightly" in page and "Timezone drift" in page


def test_runbook_edit_page_shows_the_form_with_the_stored_runbook(client, pipeline):
    html = signed_in(client, pipeline.primary_owner).get(f"/runbooks/{pipeline.slug}/edit/").content.decode()
    assert "Loads *sales*." in html
    assert 'value="Fails without a header row"' in html
    assert 'aria-label="Issue 2 is a known issue" checked' not in html  # checked comes first in the markup
    assert 'checked aria-label="Issue 2 is a known issue"' in html
    assert 'name="primary_owner"' not in html  # owners do not choose owners


def test_runbook_page_links_to_the_editor_only_for_editors(client, pipeline, member):
    edit_link = f'href="/runbooks/{pipeline.slug}/edit/"'
    assert edit_link in signed_in(client, pipeline.primary_owner).get(pipeline.get_absolute_url()).content.decode()
    assert edit_link not in signed_in(client, member).get(pipeline.get_absolute_url()).content.decode()


def test_runbook_edit_page_preview_renders_without_saving(client, pipeline):
    response = signed_in(client, pipeline.primary_owner).post(
        f"/runbooks/{pipeline.slug}/edit/",
        form_data(
            pipeline,
            description="See [the other one](#other) and <script>x()</script>**now**",
            save="",
            preview="1",
            **{"issues-2-text": "New *issue*", "issues-2-known_issue": "on"},
        ),
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Preview (not saved yet)" in html
    assert "<strong>now</strong>" in html and "<script>x()" not in html
    assert '<span class="badge warn">Known issue</span> New <em>issue</em>' in html
    assert "See [the other one](#other)" in html  # still in the text box to go on editing
    pipeline.refresh_from_db()
    assert pipeline.description == "Loads *sales*."


def test_runbook_edit_page_shows_an_invalid_schedule_next_to_its_field(client, pipeline):
    response = signed_in(client, pipeline.primary_owner).post(
        f"/runbooks/{pipeline.slug}/edit/", form_data(pipeline, schedule="every day")
    )
    assert response.status_code == 200
    assert "is not a schedule the portal can follow" in str(response.context["form"].errors["schedule"])
    pipeline.refresh_from_db()
    assert pipeline.schedule == "0 0 * * *"


def test_runbook_edit_page_refuses_other_members(client, pipeline, member):
    signed_in(client, member)
    assert client.get(f"/runbooks/{pipeline.slug}/edit/").status_code == 403
    assert client.post(f"/runbooks/{pipeline.slug}/edit/", form_data(pipeline, description="x")).status_code == 403
    pipeline.refresh_from_db()
    assert pipeline.description == "Loads *sales*."


def test_runbook_edit_page_ignores_ownership_posted_by_an_owner(client, pipeline, member):
    primary = pipeline.primary_owner
    signed_in(client, primary).post(
        f"/runbooks/{pipeline.slug}/edit/", form_data(pipeline, primary_owner=str(member.pk))
    )
    assert Pipeline.objects.get(pk=pipeline.pk).primary_owner == primary


def test_runbook_edit_page_manager_changes_owners_and_team(client, pipeline, manager):
    new_primary, team = TeamMemberFactory(), DownstreamTeamFactory(name="Growth")
    old_primary = pipeline.primary_owner
    response = signed_in(client, manager).post(
        f"/runbooks/{pipeline.slug}/edit/",
        form_data(
            pipeline,
            primary_owner=str(new_primary.pk),
            secondary_owner=str(old_primary.pk),
            critical_downstream_team=str(team.pk),
        ),
    )
    assert response.status_code == 302
    pipeline = Pipeline.objects.with_runbook_relations().get(pk=pipeline.pk)
    assert (pipeline.primary_owner, pipeline.secondary_owner) == (new_primary, old_primary)
    assert pipeline.critical_downstream_team == team


def test_runbook_edit_page_refuses_the_same_person_twice(client, pipeline, manager):
    response = signed_in(client, manager).post(
        f"/runbooks/{pipeline.slug}/edit/",
        form_data(
            pipeline,
            primary_owner=str(pipeline.primary_owner.pk),
            secondary_owner=str(pipeline.primary_owner.pk),
        ),
    )
    assert response.status_code == 200
    assert "someone other than the primary owner" in str(response.context["form"].errors["secondary_owner"])


# --- the API --------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["primary_owner", "secondary_owner"])
def test_pipeline_api_owners_patch_the_runbook(pipeline, role):
    response = api_as(getattr(pipeline, role)).patch(
        f"/api/pipelines/{pipeline.slug}/",
        {
            "common_issues": [{"text": "Disk full", "known_issue": True}],
            "column_aliases": ["a", "b"],
            "schedule": "0 6 * * 1-5",
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["common_issues"] == [{"text": "Disk full", "known_issue": True}]
    pipeline.refresh_from_db()
    assert (pipeline.column_aliases, pipeline.schedule) == (["a", "b"], "0 6 * * 1-5")


def test_pipeline_api_refuses_other_members(pipeline, api):
    response = api.patch(f"/api/pipelines/{pipeline.slug}/", {"description": "mine now"}, format="json")
    assert response.status_code == 403
    pipeline.refresh_from_db()
    assert pipeline.description == "Loads *sales*."


def test_pipeline_api_owner_cannot_change_ownership_or_team(pipeline, member):
    owner_api = api_as(pipeline.primary_owner)
    for change in ({"primary_owner": member.user.username}, {"downstream_team": None}):
        response = owner_api.patch(f"/api/pipelines/{pipeline.slug}/", change, format="json")
        assert response.status_code == 403, change
    # Sending back what is already there, as a full update does, is no ownership change.
    body = owner_api.get(f"/api/pipelines/{pipeline.slug}/").json()
    response = owner_api.patch(
        f"/api/pipelines/{pipeline.slug}/",
        {"primary_owner": body["primary_owner"], "downstream_team": body["downstream_team"], "description": "ok"},
        format="json",
    )
    assert response.status_code == 200
    assert Pipeline.objects.get(pk=pipeline.pk).primary_owner == pipeline.primary_owner


def test_pipeline_api_manager_changes_owners_and_team(pipeline, manager_api):
    new_primary = TeamMemberFactory()
    DownstreamTeamFactory(name="Price")
    response = manager_api.patch(
        f"/api/pipelines/{pipeline.slug}/",
        {"primary_owner": new_primary.user.username, "secondary_owner": None, "downstream_team": "Price"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["primary_owner"], body["secondary_owner"], body["downstream_team"]) == (
        new_primary.user.username,
        None,
        "Price",
    )


def test_pipeline_api_refuses_a_departed_owner_and_a_malformed_issue(pipeline, manager_api):
    gone = TeamMemberFactory(active=False)
    response = manager_api.patch(
        f"/api/pipelines/{pipeline.slug}/", {"primary_owner": gone.user.username}, format="json"
    )
    assert response.status_code == 400 and "has left the team" in str(response.json()["primary_owner"])
    response = manager_api.patch(f"/api/pipelines/{pipeline.slug}/", {"common_issues": [{"text": " "}]}, format="json")
    assert response.status_code == 400 and "common_issues" in response.json()
