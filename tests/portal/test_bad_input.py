"""Bad input gets a 4xx and stores nothing: NUL characters, deep JSON, unbounded text and numbers."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from incidents.models import Incident
from pipelines.models import Pipeline, SlaPolicy
from tests.pipelines.factories import PipelineFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def pipeline():
    return PipelineFactory(name="Profit Pipeline", slug="profit-pipeline")


@pytest.mark.parametrize(
    "path",
    [
        "/api/pipelines/profit%00pipeline/",
        "/api/runs/?pipeline=profit%00",
        "/api/incidents/?status=open%00",
        "/runbooks/profit%00pipeline/",
        "/incidents/?q=%00",
    ],
)
def test_nul_in_a_path_or_query_is_a_400(api, member_client, pipeline, path):
    client = api if path.startswith("/api/") else member_client
    assert client.get(path).status_code == 400


def test_nul_in_a_json_body_is_a_400_and_opens_nothing(api, pipeline):
    response = api.post(
        "/api/incidents/",
        {"pipeline": pipeline.slug, "title": "Slow\x00", "severity": "minor"},
        format="json",
    )
    assert response.status_code == 400
    assert not Incident.objects.exists()


def test_nul_in_a_form_body_is_a_400_and_opens_nothing(member_client, pipeline):
    response = member_client.post(
        "/incidents/new/",
        {"pipeline": pipeline.slug, "title": "Slow\x00", "severity": "minor", "detected_at": "2026-11-25 11:00"},
    )
    assert response.status_code == 400
    assert not Incident.objects.exists()


@pytest.mark.parametrize("method", ["patch", "put"])
def test_nul_in_a_multipart_api_body_is_a_400_and_changes_nothing(manager_api, pipeline, method):
    """Django parses multipart bodies itself only for POST; DRF's parser reads the other methods."""
    response = getattr(manager_api, method)(
        f"/api/pipelines/{pipeline.slug}/", {"downstream_team": "Fin\x00ance", "description": "x"}, format="multipart"
    )
    assert response.status_code == 400
    assert "NUL" in response.json()["detail"]
    assert Pipeline.objects.get().description == pipeline.description
    response = manager_api.patch(f"/api/pipelines/{pipeline.slug}/", {"description\x00": "x"}, format="multipart")
    assert response.status_code == 400


def test_json_nested_too_deep_is_a_400(manager_api, pipeline):
    body = "[" * 100_000 + "]" * 100_000
    response = manager_api.patch(f"/api/pipelines/{pipeline.slug}/", body, content_type="application/json")
    assert response.status_code == 400
    moderately = {"common_issues": [{"text": "x", "known_issue": False, "more": [[[[[]]]]] * 1}]}
    for _ in range(40):
        moderately = {"common_issues": [moderately]}
    response = manager_api.patch(f"/api/pipelines/{pipeline.slug}/", moderately, format="json")
    assert response.status_code == 400


@pytest.mark.parametrize(
    "schedule", ["* * * * * * *", "*/5 * * * * *", "0 0 31 2 *", "0 0 29 2 *", "@daily", "every day"]
)
def test_pipeline_schedule_must_be_five_fields_firing_at_least_yearly(manager_api, pipeline, schedule):
    response = manager_api.patch(f"/api/pipelines/{pipeline.slug}/", {"schedule": schedule}, format="json")
    assert response.status_code == 400
    assert "schedule" in response.json()
    assert Pipeline.objects.get().schedule == "0 0 * * *"


def test_pipeline_schedule_accepts_standard_expressions(manager_api, pipeline):
    for schedule in ("*/15 * * * *", "30 7 * * 1-5", "0 0 1 1 *"):
        response = manager_api.patch(f"/api/pipelines/{pipeline.slug}/", {"schedule": schedule}, format="json")
        assert response.status_code == 200, response.json()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"resolution": "999999999 00:00:00"}, "resolution"),
        ({"resolution": "31 00:00:00"}, "resolution"),
        ({"delay_threshold": "8 00:00:00"}, "delay_threshold"),
        ({"acknowledge_minutes": 30000}, "acknowledge_minutes"),
    ],
)
def test_sla_policy_durations_are_bounded(manager_api, change, field):
    response = manager_api.patch("/api/sla/policy/", change, format="json")
    assert response.status_code == 400
    assert field in response.json()
    policy = SlaPolicy.current()
    assert policy.resolution == timedelta(hours=3) and policy.acknowledge_minutes == 15


def test_incident_pages_still_answer_after_the_largest_allowed_resolution(manager_api, member_client, pipeline, api):
    assert manager_api.patch("/api/sla/policy/", {"resolution": "30 00:00:00"}, format="json").status_code == 200
    response = api.post(
        "/api/incidents/", {"pipeline": pipeline.slug, "title": "Slow", "severity": "critical"}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert member_client.get(f"/incidents/{response.json()['id']}/").status_code == 200
    assert member_client.get("/incidents/").status_code == 200


@pytest.mark.parametrize(
    ("path", "field", "limit"),
    [
        ("/api/incidents/", "description", 5000),
        ("/api/communications/", "message", 5000),
    ],
)
def test_free_text_has_a_limit_the_api_states(api, pipeline, path, field, limit):
    schema = api.get("/api/schema/", {"format": "json"}).json()
    name = {"description": "Incident", "message": "Communication"}[field]
    assert schema["components"]["schemas"][name]["properties"][field]["maxLength"] == limit
    body = {"pipeline": pipeline.slug, "title": "Slow", "severity": "minor", "audience": "Profit team"}
    if field == "message":
        body["day"] = "2026-11-24"
    response = api.post(path, {**body, field: "x" * (limit + 1)}, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_incident_form_states_the_description_limit(member_client, pipeline):
    html = member_client.get("/incidents/new/").content.decode()
    assert 'maxlength="5000"' in html
    response = member_client.post(
        "/incidents/new/",
        {
            "pipeline": pipeline.slug,
            "title": "Slow",
            "severity": "minor",
            "detected_at": "2026-11-25 11:00",
            "description": "x" * 5001,
        },
    )
    assert response.status_code == 200  # the form again, with the error
    assert not Incident.objects.exists()


@pytest.mark.parametrize("month", ["0001-01", "9999-12", "1969-12", "3000-01"])
def test_compute_sla_refuses_months_outside_the_portals_years(month):
    with pytest.raises(CommandError, match="outside the years"):
        call_command("compute_sla", "--month", month, stdout=StringIO())


@pytest.mark.parametrize(
    ("month", "words"),
    [("October", "Enter a month as YYYY-MM, e.g. 2026-11."), ("2026-13", "Enter a month between 1970-01 and 2999-12")],
)
def test_every_place_that_takes_a_month_refuses_a_bad_one_in_the_same_words(member_client, api, month, words):
    calendar = member_client.get("/oncall/", {"month": month})
    assert calendar.context["month_form"].errors["month"][0].startswith(words)
    incidents = member_client.get("/incidents/", {"month": month})
    assert incidents.context["filterset"].form.errors["month"][0].startswith(words)
    sla_api = api.get("/api/sla/", {"month": month})
    assert sla_api.status_code == 400 and sla_api.json()["month"][0].startswith(words)
    with pytest.raises(CommandError, match=words.replace(".", r"\.")):
        call_command("compute_sla", "--month", month, stdout=StringIO())
    assert member_client.get(f"/sla/{month}/").status_code == 404
