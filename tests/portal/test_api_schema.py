"""The OpenAPI document keeps the API's contract: the errors every operation can give, nullable fields,
time formats and enum filters. `bin/run-schemathesis` checks the same against a live server in CI."""

import pytest
from django.urls import path
from drf_spectacular.generators import SchemaGenerator
from rest_framework import generics, serializers
from rest_framework.test import APIClient
from rest_framework.throttling import UserRateThrottle

from oncall.years import FIRST_YEAR, LAST_YEAR
from tests.pipelines.factories import PipelineFactory


@pytest.fixture(scope="module")
def schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def responses(schema: dict, method: str, route: str) -> dict:
    return schema["paths"][route][method]["responses"]


def component(schema: dict, name: str) -> dict:
    return schema["components"]["schemas"][name]


@pytest.mark.parametrize(
    ("method", "route"),
    [
        ("get", "/api/runs/"),
        ("post", "/api/incidents/"),
        ("get", "/api/oncall/now/"),
        ("patch", "/api/sla/policy/"),
        ("post", "/api/trades/{id}/accept/"),
    ],
)
def test_every_authenticated_operation_documents_401_and_403(schema, method, route):
    documented = responses(schema, method, route)
    assert {"401", "403"} <= documented.keys()
    assert documented["401"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}


def test_filtered_lists_and_bodies_document_400_with_field_errors(schema):
    for method, route in [("get", "/api/runs/"), ("get", "/api/incidents/"), ("post", "/api/rotations/")]:
        error = responses(schema, method, route)["400"]["content"]["application/json"]["schema"]
        assert error == {
            "anyOf": [{"$ref": "#/components/schemas/Error"}, {"$ref": "#/components/schemas/FieldErrors"}]
        }
    assert "400" not in responses(schema, "get", "/api/oncall/now/")  # no parameter, no body: nothing to refuse


def test_detail_routes_and_pages_document_404(schema):
    for method, route in [("get", "/api/pipelines/{slug}/"), ("patch", "/api/rotations/{id}/"), ("get", "/api/runs/")]:
        assert "404" in responses(schema, method, route)
    assert "404" not in responses(schema, "get", "/api/sla/policy/")


def test_nullable_fields_times_and_enum_filters_are_declared(schema):
    pipeline = component(schema, "Pipeline")["properties"]
    assert pipeline["primary_owner"]["nullable"] is True
    assert pipeline["downstream_team"]["nullable"] is True
    incident = component(schema, "Incident")["properties"]
    assert incident["resolved_by"]["nullable"] is True
    assert incident["resolve_deadline"]["format"] == "date-time"
    assert incident["resolve_deadline"]["nullable"] is True
    assert incident["notes"]["items"] == {"$ref": "#/components/schemas/IncidentNote"}
    # A wall-clock time has no offset, so it is RFC 3339's partial-time, not `time`.
    assert component(schema, "Rotation")["properties"]["handoff_time"]["format"] == "partial-time"
    parameters = {p["name"]: p["schema"] for p in schema["paths"]["/api/runs/"]["get"]["parameters"]}
    assert parameters["status"]["enum"] == ["failed", "running", "success"]
    assert parameters["scheduled_after"]["format"] == "date-time"
    months = {p["name"]: p["schema"] for p in schema["paths"]["/api/incidents/"]["get"]["parameters"]}
    assert months["month"]["pattern"] == r"^(\d{4})-(\d{2})$"
    years = {p["name"]: p["schema"] for p in schema["paths"]["/api/holidays/"]["get"]["parameters"]}
    assert years["year"] == {"type": "integer", "minimum": FIRST_YEAR, "maximum": LAST_YEAR}


class ThingSerializer(serializers.Serializer):
    name = serializers.CharField()


class ThingView(generics.RetrieveUpdateAPIView):
    serializer_class = ThingSerializer
    throttle_classes = []  # the portal throttles by default; this view opts out, so no 429


def test_a_new_endpoint_gets_the_error_responses_without_declaring_them():
    schema = SchemaGenerator(patterns=[path("api/things/<int:pk>/", ThingView.as_view())]).get_schema(
        request=None, public=True
    )
    for method in ("get", "put", "patch"):
        assert {"200", "400", "401", "403", "404"} <= responses(schema, method, "/api/things/{id}/").keys()
    assert "429" not in responses(schema, "get", "/api/things/{id}/")


def test_every_portal_operation_documents_the_throttles_429(schema):
    for method, route in [("get", "/api/runs/"), ("post", "/api/runs/"), ("get", "/api/pipelines/{slug}/")]:
        assert "429" in responses(schema, method, route)


class BusyThingView(ThingView):
    throttle_classes = [UserRateThrottle]
    extra_error_codes = [409, 503]


def test_a_view_adds_the_codes_it_can_also_return_and_throttling_documents_429():
    route = "api/things/<int:pk>/"
    schema = SchemaGenerator(patterns=[path(route, BusyThingView.as_view())]).get_schema(request=None, public=True)
    documented = responses(schema, "put", "/api/things/{id}/")
    assert {"409", "429", "503"} <= documented.keys()
    assert documented["409"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}


@pytest.mark.django_db
def test_the_errors_returned_have_the_documented_shape(api):
    PipelineFactory(slug="profit-pipeline")
    refused = api.get("/api/runs/", {"status": "exploded"})
    assert refused.status_code == 400
    assert isinstance(refused.json()["status"], list)  # FieldErrors: the field and its messages
    assert api.get("/api/pipelines/no-such-pipeline/").json().keys() == {"detail"}
    stale = api.get("/api/runs/", {"cursor": "not-a-cursor"})
    assert stale.status_code == 404 and stale.json().keys() == {"detail"}
    anonymous = APIClient().get("/api/runs/")
    assert anonymous.status_code == 401 and anonymous.json().keys() == {"detail"}


@pytest.mark.django_db
def test_a_pipeline_without_a_team_or_second_owner_answers_null_even_to_a_patch(manager_api):
    PipelineFactory(slug="profit-pipeline", secondary=False, critical_downstream_team=None)
    body = manager_api.get("/api/pipelines/profit-pipeline/").json()
    assert body["secondary_owner"] is None and body["downstream_team"] is None
    # A partial update used to leave the empty fields out of its answer, which the schema requires.
    patched = manager_api.patch("/api/pipelines/profit-pipeline/", {"description": "Profit."}, format="json")
    assert patched.status_code == 200
    assert patched.json()["secondary_owner"] is None and patched.json()["downstream_team"] is None
