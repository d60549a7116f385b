from datetime import UTC, date, datetime, time

import pytest
from django.core import mail

from pipelines.models import Contact, DelayRule, Run
from pipelines.services import delay_contacts_notify, first_missed_deadline
from tests.pipelines.factories import PipelineFactory, RunFactory

pytestmark = pytest.mark.django_db

EIGHT = time(8, 0)


def test_first_missed_deadline_skips_weekends_and_holidays():
    friday_on_time = datetime(2026, 11, 20, 7, 0, tzinfo=UTC)
    now = datetime(2026, 11, 30, 12, tzinfo=UTC)
    assert first_missed_deadline(friday_on_time, now=now, deadline=EIGHT, closed_days=set()) == datetime(
        2026, 11, 23, 8, tzinfo=UTC
    )
    assert first_missed_deadline(friday_on_time, now=now, deadline=EIGHT, closed_days={date(2026, 11, 23)}) == datetime(
        2026, 11, 24, 8, tzinfo=UTC
    )
    late_monday = datetime(2026, 11, 23, 11, 0, tzinfo=UTC)  # late, but Monday's data did arrive
    assert first_missed_deadline(late_monday, now=now, deadline=EIGHT, closed_days=set()) == datetime(
        2026, 11, 24, 8, tzinfo=UTC
    )
    assert first_missed_deadline(None, now=now, deadline=EIGHT, closed_days=set()) is None
    this_morning = datetime(2026, 11, 30, 7, tzinfo=UTC)
    assert first_missed_deadline(this_morning, now=now, deadline=EIGHT, closed_days=set()) is None


def test_contact_is_emailed_once_when_data_is_the_rules_days_late(django_capture_on_commit_callbacks):
    pipeline = PipelineFactory()
    ray = Contact.objects.create(name="Ray Charley", organisation="Sales", email="ray@example.com")
    DelayRule.objects.create(pipeline=pipeline, contact=ray, days_after_deadline=2, data_description="sales data")
    RunFactory(pipeline=pipeline, scheduled_for=datetime(2026, 11, 23, 6, tzinfo=UTC))  # finished at 07:00
    # Last delivery Monday 07:00 → Tuesday 08:00 missed → Thursday 08:00 is two days after.
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            delay_contacts_notify(now=datetime(2026, 11, 26, 7, 59, tzinfo=UTC), deadline=EIGHT, closed_days=set()) == 0
        )
        assert (
            delay_contacts_notify(now=datetime(2026, 11, 26, 8, 0, tzinfo=UTC), deadline=EIGHT, closed_days=set()) == 1
        )
        assert (
            delay_contacts_notify(now=datetime(2026, 11, 26, 9, 0, tzinfo=UTC), deadline=EIGHT, closed_days=set()) == 0
        )
    assert [m.to for m in mail.outbox] == [["ray@example.com"]]
    assert "sales data" in mail.outbox[0].body


def test_runbook_page_shows_that_the_contact_was_told(member_client):
    pipeline = PipelineFactory()
    ray = Contact.objects.create(name="Ray Charley", organisation="Sales", email="ray@example.com")
    DelayRule.objects.create(pipeline=pipeline, contact=ray, days_after_deadline=2, data_description="sales data")
    RunFactory(pipeline=pipeline, scheduled_for=datetime(2026, 11, 23, 6, tzinfo=UTC))  # finished at 07:00
    assert "Contacted" not in member_client.get(pipeline.get_absolute_url()).content.decode()
    delay_contacts_notify(now=datetime(2026, 11, 27, 9, tzinfo=UTC), deadline=EIGHT, closed_days=set())
    html = member_client.get(pipeline.get_absolute_url()).content.decode()
    assert "Contacted" in html and "ray@example.com" in html


def sales_rule(pipeline):
    ray = Contact.objects.create(name="Ray Charley", organisation="Sales", email="ray@example.com")
    rule = DelayRule.objects.create(
        pipeline=pipeline, contact=ray, days_after_deadline=2, data_description="sales data"
    )
    Run.objects.create(
        pipeline=pipeline,
        external_id="r1",
        scheduled_for=datetime(2026, 11, 23, 6, tzinfo=UTC),
        status="success",
        finished_at=datetime(2026, 11, 23, 6, 30, tzinfo=UTC),
    )
    return rule


def test_the_missed_deadline_is_read_in_the_policys_zone(django_capture_on_commit_callbacks):
    sales_rule(PipelineFactory())
    # Last delivery Monday → Tuesday 08:00 Paris (07:00 UTC) missed → Thursday 07:00 UTC is two days after.
    paris = {"deadline": EIGHT, "closed_days": set(), "zone": "Europe/Paris"}
    with django_capture_on_commit_callbacks(execute=True):
        assert delay_contacts_notify(now=datetime(2026, 11, 26, 6, 59, tzinfo=UTC), **paris) == 0
        assert delay_contacts_notify(now=datetime(2026, 11, 26, 7, 0, tzinfo=UTC), **paris) == 1
        assert delay_contacts_notify(now=datetime(2026, 11, 27, 7, 0, tzinfo=UTC), **paris) == 0
    assert "since the deadline of Tuesday 24 November 2026, 08:00 CET" in mail.outbox[0].body


def test_renaming_a_pipeline_keeps_its_delay_contact_history(member_client):
    pipeline = PipelineFactory(name="Sales Pipeline")
    PipelineFactory(name="Sales Pipeline EU")  # a name the old name is the start of
    sales_rule(pipeline)
    delay_contacts_notify(now=datetime(2026, 11, 27, 9, tzinfo=UTC), deadline=EIGHT, closed_days=set())
    pipeline.name = "Revenue Pipeline"
    pipeline.save()
    html = member_client.get(pipeline.get_absolute_url()).content.decode()
    assert "Contacted" in html and "ray@example.com" in html
    other = PipelineFactory(name="Sales Pipeline")  # a new pipeline under the old name inherits nothing
    assert "Contacted" not in member_client.get(other.get_absolute_url()).content.decode()
    # and the renamed pipeline's contact is not told twice about the same stretch
    assert delay_contacts_notify(now=datetime(2026, 11, 27, 10, tzinfo=UTC), deadline=EIGHT, closed_days=set()) == 0
