from datetime import UTC, date, datetime, timedelta

import pytest
from django.core import mail

from incidents.choices import IncidentStatus
from incidents.exceptions import IncidentStepError
from incidents.models import Incident
from incidents.services import incident_deadlines, incident_open, incident_step, incidents_escalate_silence
from oncall.models import Notification
from pipelines.models import Pipeline, SlaPolicy
from tests.incidents.factories import IncidentFactory
from tests.oncall.factories import TeamMemberFactory, rotation_with
from tests.pipelines.factories import PipelineFactory

pytestmark = pytest.mark.django_db

WEDNESDAY = datetime(2026, 11, 25, 16, 50, tzinfo=UTC)


@pytest.fixture
def on_call_team():
    members = TeamMemberFactory.create_batch(4)
    return rotation_with(members, name="Team", generate_until=date(2027, 3, 31), from_start=True), members


def test_incident_opened_saturday_is_due_monday_0915(on_call_team):
    incident = IncidentFactory(detected_at=datetime(2026, 11, 28, 10, 0, tzinfo=UTC))
    deadlines = incident_deadlines(incident, SlaPolicy.current())
    assert deadlines.acknowledge == datetime(2026, 11, 30, 9, 15, tzinfo=UTC)
    assert deadlines.resolve == datetime(2026, 11, 28, 13, 0, tzinfo=UTC)


def test_incident_opened_1650_wednesday_is_due_0905_the_next_business_day(on_call_team):
    # Thursday 26 November 2026 is Thanksgiving, a US holiday: the clock skips it.
    incident = IncidentFactory(detected_at=WEDNESDAY)
    assert incident_deadlines(incident).acknowledge == datetime(2026, 11, 27, 9, 5, tzinfo=UTC)
    incident = IncidentFactory(detected_at=WEDNESDAY + timedelta(days=7))
    assert incident_deadlines(incident).acknowledge == datetime(2026, 12, 3, 9, 5, tzinfo=UTC)


def test_non_critical_incidents_have_no_deadlines(on_call_team):
    incident = IncidentFactory(severity="major")
    assert incident_deadlines(incident).acknowledge is None


def test_opening_an_incident_assigns_the_on_call_member_and_tells_everyone_downstream(
    on_call_team, django_capture_on_commit_callbacks
):
    rotation, members = on_call_team
    upstream = PipelineFactory(name="Profit")
    middle = PipelineFactory(name="Unit profit")
    last = PipelineFactory(name="Investor profit")
    unrelated = PipelineFactory(name="Growth")
    middle.depends_on.add(upstream)
    last.depends_on.add(middle)
    detected = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
    on_call = rotation.shifts.covering(detected).get().member
    with django_capture_on_commit_callbacks(execute=True):
        incident = incident_open(
            pipeline=upstream,
            title="Sales file has no header",
            severity="critical",
            detected_at=detected,
            now=detected + timedelta(minutes=5),
        )
    assert incident.assignee == on_call
    told = {m.to[0] for m in mail.outbox}
    expected = {on_call.email} | {o.member.email for p in (upstream, middle, last) for o in p.ownerships.all()}
    assert told == expected
    assert not told & {o.member.email for o in unrelated.ownerships.all()}
    assert "/incidents/" in mail.outbox[0].body and "/runbooks/" in mail.outbox[0].body


def test_a_rolled_back_incident_tells_nobody(on_call_team, django_capture_on_commit_callbacks):
    from django.db import transaction

    pipeline = PipelineFactory()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        incident_open(pipeline=pipeline, title="x", severity="critical", detected_at=WEDNESDAY, now=WEDNESDAY)
        raise RuntimeError("something later failed")
    assert mail.outbox == []
    assert not Incident.objects.exists() and not Notification.objects.exists()


def test_steps_record_times_people_and_refuse_bad_times(on_call_team):
    rotation, (a, b, *_) = on_call_team
    incident = IncidentFactory(detected_at=WEDNESDAY)
    now = WEDNESDAY + timedelta(hours=2)
    with pytest.raises(IncidentStepError) as error:
        incident_step(incident_id=incident.pk, step="acknowledge", member=a, at=now + timedelta(minutes=1), now=now)
    assert "future" in error.value.message_dict["at"][0]
    with pytest.raises(IncidentStepError):
        incident_step(
            incident_id=incident.pk, step="acknowledge", member=a, at=WEDNESDAY - timedelta(minutes=1), now=now
        )
    incident_step(incident_id=incident.pk, step="acknowledge", member=a, at=WEDNESDAY + timedelta(minutes=3), now=now)
    with pytest.raises(IncidentStepError):
        incident_step(incident_id=incident.pk, step="mitigate", member=b, at=WEDNESDAY + timedelta(minutes=2), now=now)
    incident_step(incident_id=incident.pk, step="mitigate", member=b, now=now)
    incident_step(incident_id=incident.pk, step="resolve", member=b, now=now)
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED
    assert (incident.acknowledged_by, incident.mitigated_by, incident.resolved_by) == (a, b, b)
    assert incident.acknowledged_at == WEDNESDAY + timedelta(minutes=3)
    assert [n.status_change for n in incident.notes.all()] == ["acknowledged", "mitigated", "resolved"]
    with pytest.raises(IncidentStepError):
        incident_step(incident_id=incident.pk, step="resolve", member=b, now=now)


def test_resolving_without_acknowledgement_acknowledges_too(on_call_team):
    rotation, (a, *_) = on_call_team
    incident = IncidentFactory(detected_at=WEDNESDAY)
    incident_step(incident_id=incident.pk, step="resolve", member=a, now=WEDNESDAY + timedelta(minutes=30))
    incident.refresh_from_db()
    assert incident.acknowledged_at == incident.resolved_at == WEDNESDAY + timedelta(minutes=30)


def test_silence_is_escalated_once_to_the_secondary_owner_and_the_leader(
    on_call_team, django_capture_on_commit_callbacks
):
    leader = TeamMemberFactory(is_manager=True)
    incident = IncidentFactory(detected_at=datetime(2026, 11, 30, 9, 0, tzinfo=UTC))
    secondary = Pipeline.objects.with_runbook_relations().get(pk=incident.pipeline_id).secondary_owner
    with django_capture_on_commit_callbacks(execute=True):
        assert incidents_escalate_silence(now=datetime(2026, 11, 30, 9, 14, tzinfo=UTC)) == 0
        assert incidents_escalate_silence(now=datetime(2026, 11, 30, 9, 15, tzinfo=UTC)) == 1
        assert incidents_escalate_silence(now=datetime(2026, 11, 30, 9, 20, tzinfo=UTC)) == 0
    assert sorted(m.to[0] for m in mail.outbox) == sorted([secondary.email, leader.email])
