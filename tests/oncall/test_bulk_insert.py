"""`oncall.bulk.bulk_insert`: one JSON statement on PostgreSQL, Django's insert elsewhere; both store the same rows."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from oncall import bulk
from oncall.choices import NotificationStatus
from oncall.models import ChatMessage, Notification
from sla.models import SlaEscalation, SlaReport
from tests.pipelines.factories import PipelineFactory
from tests.races import postgresql_only
from tests.sla.factories import SlaReportFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(params=[pytest.param("one-statement", marks=postgresql_only), "portable"])
def path(request, monkeypatch):
    """Each way of inserting: the PostgreSQL statement, and Django's insert (as on SQLite) by pretending."""
    if request.param == "portable":
        monkeypatch.setattr(bulk.connection, "vendor", "sqlite")
    return request.param


def stored_as_given(row) -> None:
    stored = type(row).objects.get(pk=row.pk)
    for field in type(row)._meta.concrete_fields:
        assert getattr(stored, field.attname) == getattr(row, field.attname), field.name


def outbox_rows(model, keys):
    if model is Notification:
        return [
            Notification(key=key, kind="test", recipient=f"{key}@example.com", subject="Late", body="Late.")
            for key in keys
        ]
    return [
        ChatMessage(
            key=key, kind="test", destination="#alerts", url="http://127.0.0.1:9/", payload={"text": key, "n": [1]}
        )
        for key in keys
    ]


@pytest.mark.parametrize("model", [Notification, ChatMessage])
def test_rows_whose_unique_value_is_recorded_are_skipped_and_the_rest_get_their_ids(path, model):
    first = bulk.bulk_insert(model, outbox_rows(model, ["a", "b"]), skip_existing="key")
    again = bulk.bulk_insert(model, outbox_rows(model, ["b", "c", "a", "d"]), skip_existing="key")
    assert [row.key for row in first] == ["a", "b"] and [row.key for row in again] == ["c", "d"]
    assert model.objects.count() == 4
    for row in first + again:
        assert not row._state.adding
        assert row.created_at == timezone.now()  # auto_now_add, as `save()` sets it
        assert row.status == NotificationStatus.PENDING and row.attempts == 0
        stored_as_given(row)
    assert bulk.bulk_insert(model, [], skip_existing="key") == []


def test_every_kind_of_value_is_stored_as_given_and_ids_follow_the_rows(path):
    details = {"failed": [{"id": 3, "at": "2026-10-02T04:00:00+00:00", "note": 'a "quoted"\nline'}], "empty": []}
    reports = [
        SlaReportFactory.build(pipeline=PipelineFactory(), month=date(2026, 10, 1), details=details if n else {})
        for n in range(3)
    ]
    reports[1].availability_pct = Decimal("99.123")
    inserted = bulk.bulk_insert(SlaReport, reports)
    assert inserted == reports and len({report.pk for report in reports}) == 3
    for report in reports:
        stored_as_given(report)
    assert SlaReport.objects.get(pk=reports[1].pk).details == details


def test_rows_whose_unique_fields_together_are_recorded_are_skipped(path):
    pipeline, other = PipelineFactory(), PipelineFactory()

    def escalations(*keys):
        return [
            SlaEscalation(pipeline=p, month=date(2026, 10, 1), dimension=d, recipients=["lead@example.com"])
            for p, d in keys
        ]

    unique = ("pipeline", "month", "dimension")
    first = bulk.bulk_insert(SlaEscalation, escalations((pipeline, "availability")), skip_existing=unique)
    again = bulk.bulk_insert(
        SlaEscalation,
        escalations((pipeline, "availability"), (pipeline, "timeliness"), (other, "availability")),
        skip_existing=unique,
    )
    assert [(e.pipeline, e.dimension) for e in first] == [(pipeline, "availability")]
    assert [(e.pipeline, e.dimension) for e in again] == [(pipeline, "timeliness"), (other, "availability")]
    assert SlaEscalation.objects.count() == 3
    for escalation in first + again:
        stored_as_given(escalation)
