from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pipelines.models import SlaPolicy
from sla.services import sla_month_compute
from tests.pipelines.factories import PipelineFactory
from tests.sla.test_sla_views import AFTER_NOVEMBER, NOVEMBER, make_november

pytestmark = pytest.mark.django_db

# Exactly what SPEC §4 lists for `sla/?month=`, plus the pipeline, the month and the review flags.
SLA_FIELDS = {
    "pipeline",
    "month",
    "scheduled_runs",
    "successful_runs",
    "availability_pct",
    "availability_ok",
    "error_budget",
    "error_budget_left",
    "business_days",
    "late_days",
    "uncommunicated_delays",
    "timeliness_ok",
    "checked_runs",
    "quality_breaches",
    "unreported_runs",
    "quality_ok",
    "critical_incidents",
    "ack_breaches",
    "resolution_breaches",
    "response_ok",
    "compliant",
    "final",
    "changed_since_review",
}


@pytest.fixture
def november(manager):
    """The same month as the page tests: Orders meets every target, Billing misses a run and a deadline."""
    return make_november()


def test_sla_api_lists_each_pipeline_with_exactly_the_spec_fields(member_client, november):
    response = member_client.get("/api/sla/", {"month": "2026-11"})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2 and "next" in body
    billing, orders = body["results"]
    assert set(billing) == SLA_FIELDS
    assert billing["pipeline"] == "billing" and billing["month"] == "2026-11"
    assert billing["scheduled_runs"] == 30 and billing["successful_runs"] == 29
    assert billing["availability_pct"] == "96.666" and billing["availability_ok"] is False
    assert billing["error_budget"] == 0 and billing["error_budget_left"] == -1
    assert billing["late_days"] == 1 and billing["uncommunicated_delays"] == 1 and billing["timeliness_ok"] is False
    assert billing["final"] is True and billing["changed_since_review"] is False
    assert orders["compliant"] is True and billing["compliant"] is False


def test_sla_api_month_is_required_and_checked(member_client, november):
    for query in ({}, {"month": "2026-13"}, {"month": "november"}, {"month": "2026-11-01"}):
        response = member_client.get("/api/sla/", query)
        assert response.status_code == 400, query
        assert "month" in response.json()
    assert member_client.get("/api/sla/", {"month": "2026-10"}).json()["count"] == 0


def test_sla_api_needs_credentials(client, november):
    assert client.get("/api/sla/", {"month": "2026-11"}).status_code == 401
    assert client.get("/api/sla/policy/").status_code == 401


def test_sla_api_query_count_is_flat(member_client, manager):
    def listed(body) -> dict[str, tuple[str, int, int]]:
        return {r["pipeline"]: (r["month"], r["scheduled_runs"], r["successful_runs"]) for r in body["results"]}

    def nothing_delivered(pipelines) -> dict[str, tuple[str, int, int]]:
        return {pipeline.slug: ("2026-11", 30, 0) for pipeline in pipelines}

    pipelines = PipelineFactory.create_batch(3, schedule="0 6 * * *")
    sla_month_compute(month=NOVEMBER, now=AFTER_NOVEMBER)
    with CaptureQueriesContext(connection) as few:
        body = member_client.get("/api/sla/", {"month": "2026-11"}).json()
    assert body["count"] == 3 and listed(body) == nothing_delivered(pipelines)
    pipelines += PipelineFactory.create_batch(12, schedule="0 6 * * *")
    sla_month_compute(month=NOVEMBER, now=AFTER_NOVEMBER)
    with CaptureQueriesContext(connection) as many:
        body = member_client.get("/api/sla/", {"month": "2026-11"}).json()
    assert body["count"] == 15 and listed(body) == nothing_delivered(pipelines)
    assert len(many) == len(few)


def test_sla_escalations_api_lists_who_was_told(member_client, november):
    response = member_client.get("/api/sla/escalations/", {"month": "2026-11"})
    assert response.status_code == 200
    results = response.json()["results"]
    assert {(row["pipeline"], row["dimension"]) for row in results} == {
        ("billing", "availability"),
        ("billing", "timeliness"),
    }
    row = results[0]
    assert set(row) == {"pipeline", "month", "dimension", "created_at", "recipients", "missing"}
    assert row["month"] == "2026-11"
    assert row["missing"] == "no lead on file for the Finance team"
    assert row["recipients"]  # the manager was emailed

    assert member_client.get("/api/sla/escalations/", {"month": "2026-10"}).json()["count"] == 0
    assert member_client.get("/api/sla/escalations/").json()["count"] == 2
    assert member_client.get("/api/sla/escalations/", {"month": "2026-1"}).status_code == 400


def test_sla_policy_api_everyone_reads(member_client):
    body = member_client.get("/api/sla/policy/").json()
    assert body["availability_target"] == "99.500"
    assert body["deadline"] == "08:00:00"
    assert body["acknowledge_minutes"] == 15


def test_sla_policy_api_only_managers_edit(member_client, manager):
    for method in (member_client.patch, member_client.put):
        response = method("/api/sla/policy/", {"acknowledge_minutes": 30}, content_type="application/json")
        assert response.status_code == 403
    assert SlaPolicy.current().acknowledge_minutes == 15

    member_client.force_login(manager.user)
    response = member_client.patch(
        "/api/sla/policy/",
        {"acknowledge_minutes": 30, "availability_target": "99.9", "resolution": "04:00:00"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.json()
    policy = SlaPolicy.current()
    assert policy.acknowledge_minutes == 30
    assert policy.availability_target == Decimal("99.9")
    assert policy.resolution == timedelta(hours=4)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"availability_target": "100.5"}, "availability_target"),
        ({"bad_records_pct": "-1"}, "bad_records_pct"),
        ({"delay_threshold": "-01:00:00"}, "delay_threshold"),
        ({"deadline_timezone": "Mars/Olympus"}, "deadline_timezone"),
        ({"business_opens": "18:00", "business_closes": "09:00"}, "business_closes"),
        ({"business_closes": "08:00"}, "business_closes"),  # before the stored 09:00 opening
        ({"critical_fields": "amount"}, "critical_fields"),
    ],
)
def test_sla_policy_api_refuses_bad_values(manager_client, change, field):
    response = manager_client.patch("/api/sla/policy/", change, content_type="application/json")
    assert response.status_code == 400
    assert field in response.json()
    assert SlaPolicy.current().business_closes == time(17, 0)


def test_sla_policy_api_put_replaces_the_values(manager_client):
    values = manager_client.get("/api/sla/policy/").json()
    values |= {"deadline": "07:30:00", "critical_fields": ["id", "amount"]}
    response = manager_client.put("/api/sla/policy/", values, content_type="application/json")
    assert response.status_code == 200, response.json()
    policy = SlaPolicy.current()
    assert policy.deadline == time(7, 30) and policy.critical_fields == ["id", "amount"]
    assert SlaPolicy.objects.count() == 1


def test_sla_reports_follow_a_stricter_policy(manager_client, november):
    # A policy change counts from the next computation on, month by month.
    manager_client.patch("/api/sla/policy/", {"availability_target": "90"}, content_type="application/json")
    sla_month_compute(month=NOVEMBER, now=datetime(2026, 12, 2, tzinfo=UTC))
    billing = manager_client.get("/api/sla/", {"month": "2026-11"}).json()["results"][0]
    assert billing["pipeline"] == "billing" and billing["availability_ok"] is True and billing["error_budget"] == 3
