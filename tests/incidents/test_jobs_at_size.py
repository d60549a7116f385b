"""The every-minute and nightly jobs run in a fixed number of queries, whatever the number of incidents or pipelines.

Each job runs at two sizes of the same shape of data: the query counts must be equal, and everyone due a
message gets it once.
"""

from datetime import UTC, datetime, time

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents.communications import delay_notices_send
from incidents.models import ChatChannel, Communication
from incidents.services import incidents_escalate_silence
from oncall.models import ChatMessage, Notification
from pipelines.models import Contact, DelayRule, Pipeline, SlaPolicy
from pipelines.services import delay_contacts_notify
from tests.incidents.factories import IncidentFactory
from tests.oncall.factories import TeamMemberFactory
from tests.pipelines.factories import PipelineFactory, RunFactory

pytestmark = pytest.mark.django_db

SIZES = (2, 8)
MONDAY_0900 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def queries_of(job) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as queries:
        result = job()
    return len(queries), result


def reset() -> None:
    """Empty the tables a run of the jobs fills, and the cache, so the next size starts from the same state."""
    cache.clear()
    for model in (Notification, ChatMessage, Communication, ChatChannel):
        model.objects.all().delete()


@pytest.fixture(autouse=True)
def policy():
    return SlaPolicy.current()  # stored on first use: not a query of the jobs themselves


def test_silence_escalation_is_flat_and_tells_each_incidents_people_once(django_capture_on_commit_callbacks):
    leader = TeamMemberFactory(is_manager=True)
    counts = []
    for size in SIZES:
        reset()
        everywhere = ChatChannel.objects.create(name="#all", kind="slack", url="http://127.0.0.1:9/all")
        incidents = IncidentFactory.create_batch(size, detected_at=MONDAY_0900)
        own_channels = {
            incident.pk: ChatChannel.objects.create(
                name=f"#{incident.pipeline.slug}",
                kind="webhook",
                url="http://127.0.0.1:9/x",
                pipeline=incident.pipeline,
            )
            for incident in incidents
        }
        with django_capture_on_commit_callbacks():
            count, escalated = queries_of(
                lambda: incidents_escalate_silence(now=datetime(2026, 11, 30, 9, 15, tzinfo=UTC))
            )
        counts.append(count)
        assert escalated == size
        told = set(Notification.objects.filter(kind="incidents.unacknowledged").values_list("key", flat=True))
        expected = set()
        for incident in incidents:
            secondary = incident.pipeline.secondary_owner
            expected |= {f"incident-{incident.pk}-unacknowledged:{m.email}" for m in (secondary, leader)}
        assert told == expected
        for incident in incidents:
            email = Notification.objects.get(key=f"incident-{incident.pk}-unacknowledged:{leader.email}")
            assert incident.title in email.subject and "/incidents/ack/" in email.body
        posted = set(ChatMessage.objects.values_list("key", "destination"))
        assert posted == {
            (f"incident-{i.pk}-unacknowledged:channel-{channel.pk}", channel.name)
            for i in incidents
            for channel in (everywhere, own_channels[i.pk])
        }
        # A second run tells nobody again.
        assert incidents_escalate_silence(now=datetime(2026, 11, 30, 9, 20, tzinfo=UTC)) == 0
        assert Notification.objects.count() == len(expected) and ChatMessage.objects.count() == len(posted)
        for incident in incidents:
            incident.delete()
    assert counts[0] == counts[1]


WEDNESDAY_1000 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # after the 08:00 deadline and its hour's threshold


def test_delay_notices_are_flat_and_tell_owners_downstream_and_the_lead_once(django_capture_on_commit_callbacks):
    counts = []
    for size in SIZES:
        reset()
        Pipeline.objects.all().delete()
        everywhere = ChatChannel.objects.create(name="#all", kind="slack", url="http://127.0.0.1:9/all")
        late, own_channels = [], {}
        # Per unit: a late pipeline, a late one depending on it, and one whose data arrived on time.
        for _ in range(size // 2):
            upstream = PipelineFactory()
            downstream = PipelineFactory()
            downstream.depends_on.add(upstream)
            on_time = PipelineFactory()
            RunFactory(pipeline=on_time, scheduled_for=WEDNESDAY_1000.replace(hour=6))
            late += [upstream, downstream]
            own_channels[upstream.pk] = ChatChannel.objects.create(
                name=f"#{upstream.slug}", kind="webhook", url="http://127.0.0.1:9/x", pipeline=upstream
            )
        with django_capture_on_commit_callbacks():
            count, sent = queries_of(lambda: delay_notices_send(now=WEDNESDAY_1000))
        counts.append(count)
        assert sent == len(late) == size
        notices = Communication.objects.filter(automatic=True, day=WEDNESDAY_1000.date())
        assert {(n.pipeline_id, n.audience) for n in notices} == {
            (p.pk, "owners, " + f"{p.critical_downstream_team.name} team lead" + (", downstream owners" * (i % 2 == 0)))
            for i, p in enumerate(late)
        }
        expected = set()
        for i, pipeline in enumerate(late):
            told = [o.member.email for o in pipeline.ownerships.all()] + ["lead@example.com"]
            if i % 2 == 0:  # an upstream pipeline: its dependant's owners hear too
                told += [o.member.email for o in late[i + 1].ownerships.all()]
            expected |= {f"delay-notice-{pipeline.pk}-2026-11-25:{email}" for email in told}
        assert set(Notification.objects.filter(kind="incidents.delay-notice").values_list("key", flat=True)) == expected
        assert set(ChatMessage.objects.values_list("key", flat=True)) == {
            f"delay-notice-{p.pk}-2026-11-25:channel-{channel.pk}"
            for p in late
            for channel in (everywhere, own_channels.get(p.pk))
            if channel is not None
        }
        # A second run tells nobody again.
        assert delay_notices_send(now=WEDNESDAY_1000.replace(minute=5)) == 0
        assert Notification.objects.count() == len(expected)
    assert counts[0] == counts[1]


def test_delay_contacts_are_flat_and_each_rules_contact_is_told_once(django_capture_on_commit_callbacks):
    counts = []
    for size in SIZES:
        reset()
        DelayRule.objects.all().delete()
        rules = []
        for n in range(size):
            pipeline = PipelineFactory()
            contact = Contact.objects.create(
                name=f"Contact {size}-{n}", organisation="Sales", email=f"contact{size}-{n}@example.com"
            )
            rules.append(DelayRule.objects.create(pipeline=pipeline, contact=contact, days_after_deadline=2))
            # Last delivery Monday 07:00: Tuesday's 08:00 deadline missed, two days later is Thursday 08:00.
            RunFactory(pipeline=pipeline, scheduled_for=datetime(2026, 11, 23, 6, tzinfo=UTC))
        now = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
        with django_capture_on_commit_callbacks():
            count, sent = queries_of(
                lambda now=now: delay_contacts_notify(now=now, deadline=time(8), closed_days=set())
            )
        counts.append(count)
        assert sent == size
        assert set(Notification.objects.values_list("recipient", "key")) == {
            (
                rule.contact.email,
                f"delay-contact-pipeline-{rule.pipeline_id}-rule-{rule.pk}-2026-11-24:{rule.contact.email}",
            )
            for rule in rules
        }
        assert delay_contacts_notify(now=now.replace(hour=9), deadline=time(8), closed_days=set()) == 0
    assert counts[0] == counts[1]
