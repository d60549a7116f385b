"""The SLA tables moved out of `incidents` (the policy to `pipelines`, the rest to `sla`) with their rows."""

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest

from tests.migrating import migrate, migrate_to_the_latest

BEFORE = [
    ("oncall", "0004_key_the_imported_rotation"),
    ("pipelines", "0003_second_round"),
    ("incidents", "0002_second_round"),
    ("sla", None),
]
SIGNED = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)


@pytest.mark.django_db(transaction=True)
def test_policy_reports_reviews_escalations_and_their_history_keep_their_rows():
    old = migrate(BEFORE)
    user = old.get_model("auth", "User").objects.create(username="ray")
    member = old.get_model("oncall", "TeamMember").objects.create(
        user=user, name="Ray Charley", email="ray@example.com"
    )
    pipeline = old.get_model("pipelines", "Pipeline").objects.create(name="Profit Pipeline", slug="profit-pipeline")
    old.get_model("incidents", "SlaPolicy").objects.create(deadline=time(7, 30), delay_threshold=timedelta(hours=2))
    old.get_model("incidents", "HistoricalSlaPolicy").objects.create(
        id=1, deadline=time(7, 30), history_date=SIGNED, history_type="+"
    )
    old.get_model("incidents", "SlaReport").objects.create(
        pipeline=pipeline, month=date(2026, 10, 1), computed_at=SIGNED, availability_pct=Decimal("99.1"),
        scheduled_runs=31, successful_runs=30, availability_ok=False, error_budget=0, error_budget_left=-1,
        business_days=22, late_days=1, uncommunicated_delays=0, timeliness_ok=True, checked_runs=30,
        quality_breaches=0, unreported_runs=0, quality_ok=True, critical_incidents=0, ack_breaches=0,
        resolution_breaches=0, response_ok=True, compliant=False, details={"failed": [1]},
    )  # fmt: skip
    old.get_model("incidents", "SlaReview").objects.create(month=date(2026, 10, 1), reviewer=member, signed_at=SIGNED)
    old.get_model("incidents", "SlaEscalation").objects.create(
        pipeline=pipeline, month=date(2026, 10, 1), dimension="availability", recipients=["ray@example.com"]
    )
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.get_or_create(app_label="incidents", model="slareport")

    new = migrate_to_the_latest()

    policy = new.get_model("pipelines", "SlaPolicy").objects.get()
    assert (policy.deadline, policy.delay_threshold) == (time(7, 30), timedelta(hours=2))
    assert new.get_model("pipelines", "HistoricalSlaPolicy").objects.get().deadline == time(7, 30)
    report = new.get_model("sla", "SlaReport").objects.get()
    assert (report.pipeline.slug, report.availability_pct, report.details) == (
        "profit-pipeline", Decimal("99.100"), {"failed": [1]},
    )  # fmt: skip
    assert new.get_model("sla", "SlaReview").objects.get().reviewer.name == "Ray Charley"
    assert new.get_model("sla", "SlaEscalation").objects.get().recipients == ["ray@example.com"]
    assert ContentType.objects.filter(app_label="sla", model="slareport").exists()
    assert not ContentType.objects.filter(app_label="incidents", model="slareport").exists()


@pytest.mark.django_db(transaction=True)
def test_the_moved_constraints_still_hold():
    migrate(BEFORE)
    new = migrate_to_the_latest()
    pipeline = new.get_model("pipelines", "Pipeline").objects.create(name="Profit Pipeline", slug="profit-pipeline")
    Escalation = new.get_model("sla", "SlaEscalation")
    Escalation.objects.create(pipeline=pipeline, month=date(2026, 10, 1), dimension="quality")
    with pytest.raises(Exception, match="once_per_dimension|UNIQUE"):
        Escalation.objects.create(pipeline=pipeline, month=date(2026, 10, 1), dimension="quality")
