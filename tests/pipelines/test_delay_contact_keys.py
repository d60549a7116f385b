"""Delay-contact messages sent before they were keyed by pipeline id keep their pipeline (migration 0006)."""

from datetime import UTC, datetime, time

import pytest

from oncall.models import Notification
from pipelines.models import DelayRule, Run
from pipelines.services import delay_contacts_notify
from tests.migrating import migrate, migrate_to_the_latest

BEFORE = [("pipelines", "0005_sla_percentages_bounded")]
AFTER = [("pipelines", "0006_delay_contacts_keyed_by_pipeline")]
KIND = "pipelines.delay-contact"


def told(old, about: str, key: str) -> None:
    old.get_model("oncall", "Notification").objects.create(
        key=key, kind=KIND, recipient="ray@example.com", subject="data not received", body="…", about=about
    )


@pytest.mark.django_db(transaction=True)
def test_old_keys_name_the_pipeline_by_id_and_go_back():
    old = migrate(BEFORE)
    Pipeline = old.get_model("pipelines", "Pipeline")
    sales = Pipeline.objects.create(name="Sales", slug="sales")
    sales_eu = Pipeline.objects.create(name="Sales EU", slug="sales-eu")
    renamed = Pipeline.objects.create(name="Revenue", slug="revenue")  # was "Sales daily" when told
    ray = old.get_model("pipelines", "Contact").objects.create(name="Ray Charley", email="ray@example.com")
    rule = old.get_model("pipelines", "DelayRule").objects.create(pipeline=sales, contact=ray, days_after_deadline=2)
    old.get_model("pipelines", "HistoricalDelayRule").objects.create(
        id=900, pipeline=renamed, contact=ray, days_after_deadline=1, history_date=datetime(2026, 1, 5, tzinfo=UTC),
        history_type="-",
    )  # fmt: skip
    told(old, "Sales: delay contact Ray Charley", f"delay-contact-{rule.pk}-2026-11-24:ray@example.com")
    told(old, "Sales daily: delay contact Ray Charley", "delay-contact-900-2026-01-02:ray@example.com")
    told(old, "Sales EU: delay contact Ray Charley", "delay-contact-901-2026-02-03:ray@example.com")
    told(old, "Gone: delay contact Ray Charley", "delay-contact-902-2026-03-04:ray@example.com")

    new = migrate(AFTER)
    keys = set(new.get_model("oncall", "Notification").objects.values_list("key", flat=True))
    assert keys == {
        f"delay-contact-pipeline-{sales.pk}-rule-{rule.pk}-2026-11-24:ray@example.com",  # the rule's pipeline
        f"delay-contact-pipeline-{renamed.pk}-rule-900-2026-01-02:ray@example.com",  # a deleted rule's, from history
        f"delay-contact-pipeline-{sales_eu.pk}-rule-901-2026-02-03:ray@example.com",  # by name, the longest match
        "delay-contact-902-2026-03-04:ray@example.com",  # nothing to go on: left as it was
    }

    migrate(BEFORE)
    keys = set(old.get_model("oncall", "Notification").objects.values_list("key", flat=True))
    assert keys == {
        f"delay-contact-{rule.pk}-2026-11-24:ray@example.com",
        "delay-contact-900-2026-01-02:ray@example.com",
        "delay-contact-901-2026-02-03:ray@example.com",
        "delay-contact-902-2026-03-04:ray@example.com",
    }
    migrate_to_the_latest()


@pytest.mark.django_db(transaction=True)
def test_a_message_sent_before_the_migration_is_not_sent_again():
    old = migrate(BEFORE)
    sales = old.get_model("pipelines", "Pipeline").objects.create(name="Sales", slug="sales")
    ray = old.get_model("pipelines", "Contact").objects.create(name="Ray Charley", email="ray@example.com")
    rule = old.get_model("pipelines", "DelayRule").objects.create(pipeline=sales, contact=ray, days_after_deadline=2)
    told(old, "Sales: delay contact Ray Charley", f"delay-contact-{rule.pk}-2026-11-24:ray@example.com")
    migrate_to_the_latest()

    Run.objects.create(
        pipeline=DelayRule.objects.get().pipeline, external_id="r1", scheduled_for=datetime(2026, 11, 23, 6, tzinfo=UTC),
        status="success", finished_at=datetime(2026, 11, 23, 7, tzinfo=UTC),
    )  # fmt: skip
    now = datetime(2026, 11, 27, 9, tzinfo=UTC)  # Tuesday 24 November's deadline was missed three days ago
    assert delay_contacts_notify(now=now, deadline=time(8), closed_days=set()) == 0
    assert Notification.objects.count() == 1
