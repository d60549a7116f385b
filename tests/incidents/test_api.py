from datetime import UTC, date, datetime, timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from incidents.choices import IncidentStatus, Severity
from incidents.communications import communication_log
from incidents.models import Communication, Incident
from incidents.services import incident_deadlines, incident_note_add, incident_step
from oncall import notifications
from oncall.models import Notification
from tests.incidents.factories import IncidentFactory
from tests.oncall.factories import TeamMemberFactory, UserFactory
from tests.pipelines.factories import PipelineFactory

pytestmark = pytest.mark.django_db


def an_hour_ago() -> datetime:
    return timezone.now() - timedelta(hours=1)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


# --- incidents -------------------------------------------------------------------------------------


def test_incident_shows_its_steps_deadlines_and_timeline(api, member, pipeline):
    detected = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
    incident = IncidentFactory(pipeline=pipeline, detected_at=detected, assignee=member)
    incident_step(incident_id=incident.pk, step="acknowledge", member=member, at=detected + timedelta(minutes=5))
    incident_note_add(incident=incident, author=member, text="Reloading the file.")
    body = api.get(f"/api/incidents/{incident.pk}/").json()
    deadlines = incident_deadlines(incident)
    assert body["pipeline"] == "profit-pipeline"
    assert body["status"] == "acknowledged"
    assert body["assignee"] == body["acknowledged_by"] == member.user.username
    assert body["acknowledged_at"] == "2026-11-02T10:05:00Z"
    assert body["acknowledge_deadline"] == iso(deadlines.acknowledge) == "2026-11-02T10:15:00Z"
    assert body["resolve_deadline"] == "2026-11-02T13:00:00Z"
    assert body["mitigated_by"] is None and body["resolved_at"] is None
    assert [note["text"] for note in body["notes"]] == [f"{member.name}: Acknowledged.", "Reloading the file."]
    assert body["notes"][0]["status_change"] == "acknowledged"


def test_a_member_opens_an_incident_and_everyone_concerned_is_emailed(
    api, member, pipeline, on_call_team, django_capture_on_commit_callbacks
):
    detected = an_hour_ago()
    on_call = on_call_team.shifts.covering(detected).get().member
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/api/incidents/",
            {"pipeline": "profit-pipeline", "title": "No file", "severity": "critical", "detected_at": iso(detected)},
            format="json",
        )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["assignee"] == on_call.user.username and body["status"] == "open"
    assert body["acknowledge_deadline"] is not None
    assert [note["text"] for note in body["notes"]] == ["Incident opened."]
    assert Incident.objects.get().opened_by == member
    told = {message.to[0] for message in mail.outbox}
    assert {on_call.email, pipeline.primary_owner.email, pipeline.secondary_owner.email} <= told
    sent = Notification.objects.filter(kind="incidents.opened")
    assert sent.count() == len(told) and all(n.status == "sent" for n in sent)


def test_an_incident_without_a_detection_time_was_detected_now(api, pipeline):
    before = timezone.now()
    response = api.post(
        "/api/incidents/", {"pipeline": "profit-pipeline", "title": "Slow", "severity": "minor"}, format="json"
    )
    assert response.status_code == 201
    assert before <= Incident.objects.get().detected_at <= timezone.now()
    assert response.json()["acknowledge_deadline"] is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"detected_at": "2999-01-01T00:00:00Z"}, "detected_at"),
        ({"pipeline": "no-such-pipeline"}, "pipeline"),
        ({"severity": "apocalyptic"}, "severity"),
        ({"assignee": "nobody.here"}, "assignee"),
        ({"title": ""}, "title"),
    ],
)
def test_bad_incidents_get_field_errors_and_write_nothing(api, pipeline, change, field):
    payload = {"pipeline": "profit-pipeline", "title": "No file", "severity": "critical", **change}
    response = api.post("/api/incidents/", payload, format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert not Incident.objects.exists()


def test_acknowledge_mitigate_and_resolve(api, member):
    detected = an_hour_ago()
    incident = IncidentFactory(detected_at=detected)
    acknowledged_at = detected + timedelta(minutes=10)
    response = api.post(
        f"/api/incidents/{incident.pk}/acknowledge/", {"at": iso(acknowledged_at), "note": "On it."}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "acknowledged" and response.json()["acknowledged_by"] == member.user.username
    assert response.json()["acknowledged_at"] == iso(acknowledged_at)
    assert response.json()["notes"][-1]["text"] == f"{member.name}: Acknowledged. On it."

    mitigated_at = detected + timedelta(minutes=40)
    response = api.post(f"/api/incidents/{incident.pk}/mitigate/", {"at": iso(mitigated_at)}, format="json")
    assert response.json()["status"] == "mitigated" and response.json()["mitigated_at"] == iso(mitigated_at)

    response = api.post(f"/api/incidents/{incident.pk}/resolve/", {}, format="json")
    assert response.json()["status"] == "resolved"
    incident.refresh_from_db()
    assert incident.resolved_by == member


def test_resolving_an_unacknowledged_incident_acknowledges_it_too(api):
    incident = IncidentFactory(detected_at=an_hour_ago())
    at = incident.detected_at + timedelta(minutes=3)
    body = api.post(f"/api/incidents/{incident.pk}/resolve/", {"at": iso(at)}, format="json").json()
    assert body["acknowledged_at"] == body["resolved_at"] == iso(at)


def test_a_step_in_the_future_or_before_the_last_one_is_a_400_and_changes_nothing(api, member):
    detected = an_hour_ago()
    incident = IncidentFactory(detected_at=detected)
    future = timezone.now() + timedelta(minutes=10)
    response = api.post(f"/api/incidents/{incident.pk}/acknowledge/", {"at": iso(future)}, format="json")
    assert response.status_code == 400
    assert response.json() == {"at": ["That time is in the future."]}
    response = api.post(
        f"/api/incidents/{incident.pk}/acknowledge/", {"at": iso(detected - timedelta(minutes=1))}, format="json"
    )
    assert response.status_code == 400 and "before the previous step" in response.json()["at"][0]
    response = api.post(f"/api/incidents/{incident.pk}/acknowledge/", {"at": "yesterday-ish"}, format="json")
    assert response.status_code == 400 and list(response.json()) == ["at"]
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.OPEN and not incident.notes.exists()


def test_a_step_the_status_does_not_allow_is_a_400(api, member):
    incident = IncidentFactory(detected_at=an_hour_ago())
    incident_step(incident_id=incident.pk, step="resolve", member=member)
    response = api.post(f"/api/incidents/{incident.pk}/acknowledge/", {}, format="json")
    assert response.status_code == 400
    assert response.json() == {"status": ["The incident is already resolved."]}


def test_a_step_on_a_missing_incident_is_a_404(api):
    assert api.post("/api/incidents/999/acknowledge/", {}, format="json").status_code == 404


def test_incidents_are_not_edited_or_deleted_through_the_api(manager_api):
    incident = IncidentFactory(detected_at=an_hour_ago())
    assert manager_api.patch(f"/api/incidents/{incident.pk}/", {"status": "resolved"}).status_code == 405
    assert manager_api.delete(f"/api/incidents/{incident.pk}/").status_code == 405


def test_incident_list_puts_the_newest_detected_first_and_filters(api, member):
    profit, growth = PipelineFactory(slug="profit"), PipelineFactory(slug="growth")
    resolved = IncidentFactory(pipeline=profit, detected_at=an_hour_ago())
    incident_step(incident_id=resolved.pk, step="resolve", member=member)
    october = IncidentFactory(pipeline=growth, detected_at=datetime(2026, 10, 5, tzinfo=UTC), severity=Severity.MAJOR)
    older_open = IncidentFactory(pipeline=profit, detected_at=datetime(2026, 9, 1, tzinfo=UTC))

    def ids(**query) -> list[int]:
        response = api.get("/api/incidents/", query)
        assert response.status_code == 200, response.json()
        return [incident["id"] for incident in response.json()["results"]]

    assert ids() == [resolved.pk, october.pk, older_open.pk]
    assert ids(pipeline="profit") == [resolved.pk, older_open.pk]
    assert ids(severity="major") == [october.pk]
    assert ids(status="resolved") == [resolved.pk]
    assert ids(unresolved="true") == [october.pk, older_open.pk]
    assert ids(unresolved="false") == [resolved.pk]
    assert ids(month="2026-10") == [october.pk]
    response = api.get("/api/incidents/", {"month": "2026-13"})
    assert response.status_code == 400 and list(response.json()) == ["month"]
    # The pipeline is an exact slug, as documented: part of one is refused, not searched.
    response = api.get("/api/incidents/", {"pipeline": "prof"})
    assert response.status_code == 400 and list(response.json()) == ["pipeline"]


def test_incident_list_pages_by_cursor_without_counting(api):
    start = datetime(2026, 11, 1, tzinfo=UTC)
    incidents = [
        IncidentFactory(detected_at=start + timedelta(hours=n // 2), severity=Severity.MINOR) for n in range(53)
    ]
    newest_first = [i.pk for i in sorted(incidents, key=lambda i: (i.detected_at, i.pk), reverse=True)]
    first = api.get("/api/incidents/").json()
    assert "count" not in first and first["previous"] is None
    assert [i["id"] for i in first["results"]] == newest_first[:50]
    assert "cursor=" in first["next"] and "page=" not in first["next"]
    second = api.get(first["next"]).json()
    assert [i["id"] for i in second["results"]] == newest_first[50:] and second["next"] is None
    small = api.get("/api/incidents/", {"page_size": 20}).json()
    assert len(small["results"]) == 20


def test_browsable_api_forms_type_the_pipeline_and_incident_rather_than_listing_every_one(manager_client):
    for n in range(12):
        PipelineFactory(name=f"Quiet feed {n}", slug=f"quiet-feed-{n}")
    IncidentFactory(detected_at=an_hour_ago(), title="Quiet incident")
    for path in ("/api/incidents/", "/api/communications/", "/api/channels/"):
        html = manager_client.get(path, {"pipeline": "quiet-feed-3"}, HTTP_ACCEPT="text/html").content.decode()
        assert '<input name="pipeline"' in html, path  # the manager's form to add one, and the filter
        assert "Quiet feed" not in html and "quiet-feed-4" not in html and "Quiet incident" not in html, path


def test_incident_list_query_count_is_flat(api, member, on_call_team, django_assert_max_num_queries):
    # Each incident's pipeline, assignee, who acknowledged it and who wrote its note: the rows the list joins.
    added = {}

    def add_incidents(count: int) -> None:
        for n in range(count):
            incident = IncidentFactory(
                detected_at=datetime(2026, 11, 2 + n % 20, 10, tzinfo=UTC), assignee=TeamMemberFactory()
            )
            acknowledger, author = TeamMemberFactory(), TeamMemberFactory()
            incident_step(incident_id=incident.pk, step="acknowledge", member=acknowledger)
            incident_note_add(incident=incident, author=author, text="note")
            people = (incident.assignee, acknowledger, author)
            added[incident.pk] = (incident.pipeline.slug, *(person.user.username for person in people))

    def listed(body) -> dict[int, tuple[str, ...]]:
        return {
            incident["id"]: (
                incident["pipeline"],
                incident["assignee"],
                incident["acknowledged_by"],
                *(note["author"] for note in incident["notes"] if note["text"] == "note"),
            )
            for incident in body["results"]
        }

    add_incidents(2)
    with CaptureQueriesContext(connection) as few:
        body = api.get("/api/incidents/").json()
    assert listed(body) == added
    add_incidents(15)
    with django_assert_max_num_queries(len(few)):
        body = api.get("/api/incidents/").json()
    assert len(body["results"]) == 17 and all(incident["acknowledge_deadline"] for incident in body["results"])
    assert listed(body) == added


# --- who may do what -------------------------------------------------------------------------------


def test_anonymous_requests_get_401(client, pipeline):
    incident = IncidentFactory(detected_at=an_hour_ago())
    anonymous = APIClient()
    for path in ("/api/incidents/", f"/api/incidents/{incident.pk}/", "/api/communications/", "/api/notifications/"):
        assert anonymous.get(path).status_code == 401, path
    response = anonymous.post(f"/api/incidents/{incident.pk}/acknowledge/", {}, format="json")
    assert response.status_code == 401
    response = anonymous.post("/api/incidents/", {"pipeline": "profit-pipeline", "title": "x", "severity": "minor"})
    assert response.status_code == 401
    assert not Incident.objects.exclude(pk=incident.pk).exists()


def test_a_plain_member_may_open_and_act_on_incidents(api, member, pipeline):
    assert not member.is_manager
    response = api.post(
        "/api/incidents/", {"pipeline": "profit-pipeline", "title": "x", "severity": "minor"}, format="json"
    )
    assert response.status_code == 201
    incident_id = response.json()["id"]
    assert api.post(f"/api/incidents/{incident_id}/acknowledge/", {}, format="json").status_code == 200
    response = api.post(
        "/api/communications/", {"incident": incident_id, "audience": "Owners", "message": "Ack"}, format="json"
    )
    assert response.status_code == 201


def test_a_service_token_cannot_touch_incidents(pipeline):
    out = StringIO()
    call_command("create_service_token", "airflow", stdout=out)
    service = APIClient()
    service.credentials(HTTP_AUTHORIZATION=f"Token {out.getvalue().split(': ')[1].strip()}")
    payload = {"pipeline": "profit-pipeline", "title": "x", "severity": "minor"}
    assert service.post("/api/incidents/", payload, format="json").status_code == 403
    assert service.get("/api/incidents/").status_code == 403
    assert service.get("/api/notifications/").status_code == 403


def test_an_account_that_is_not_on_the_team_cannot_record_steps():
    client = APIClient()
    client.force_authenticate(UserFactory(username="admin", is_staff=True))
    incident = IncidentFactory(detected_at=an_hour_ago())
    assert client.post(f"/api/incidents/{incident.pk}/acknowledge/", {}, format="json").status_code == 403
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.OPEN


# --- communications --------------------------------------------------------------------------------


def test_a_message_about_an_incident_takes_its_pipeline(api, member, pipeline):
    incident = IncidentFactory(pipeline=pipeline, detected_at=an_hour_ago())
    sent_at = timezone.now() - timedelta(minutes=5)
    response = api.post(
        "/api/communications/",
        {"incident": incident.pk, "audience": "Profit team", "channel": "chat", "message": "ETA 11:00",
         "sent_at": iso(sent_at)},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["pipeline"] == "profit-pipeline" and body["incident"] == incident.pk
    assert body["sent_by"] == member.user.username and body["automatic"] is False
    assert Communication.objects.get().sent_at == sent_at


def test_a_delay_notice_names_its_pipeline_and_day(api, pipeline):
    response = api.post(
        "/api/communications/",
        {"pipeline": "profit-pipeline", "day": "2026-11-24", "audience": "All stakeholders", "message": "Late"},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["day"] == "2026-11-24" and response.json()["channel"] == "email"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"incident": None, "day": None}, "day"),
        ({"incident": None, "pipeline": None, "day": "2026-11-24"}, "pipeline"),
        ({"sent_at": "2999-01-01T00:00:00Z"}, "sent_at"),
        ({"pipeline": "other"}, "incident"),
        ({"message": ""}, "message"),
        ({"channel": "pigeon"}, "channel"),
    ],
)
def test_bad_messages_get_field_errors_and_write_nothing(api, pipeline, change, field):
    PipelineFactory(slug="other")
    incident = IncidentFactory(pipeline=pipeline, detected_at=an_hour_ago())
    payload = {"incident": incident.pk, "pipeline": "profit-pipeline", "audience": "Owners", "message": "Hi", **change}
    payload = {key: value for key, value in payload.items() if value is not None}
    response = api.post("/api/communications/", payload, format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert not Communication.objects.exists()


def test_communications_filter_by_incident_and_query_count_is_flat(api, pipeline, django_assert_max_num_queries):
    def add_messages(count: int) -> Incident:
        incident = IncidentFactory(pipeline=pipeline, detected_at=an_hour_ago())
        for n in range(count):
            communication_log(
                pipeline=pipeline, incident=incident, audience="Owners", message=f"{n}", channel="email",
                sent_by=TeamMemberFactory(),
            )  # fmt: skip
        communication_log(
            pipeline=PipelineFactory(), day=date(2026, 11, 24), audience="All", message="Late", channel="email",
            sent_by=None,
        )  # fmt: skip
        return incident

    def listed(body) -> set[tuple]:
        return {(m["pipeline"], m["incident"], m["message"], m["sent_by"]) for m in body["results"]}

    def logged() -> set[tuple]:
        return {
            (m.pipeline.slug, m.incident_id, m.message, m.sent_by.user.username if m.sent_by else None)
            for m in Communication.objects.all()
        }

    first = add_messages(2)
    with CaptureQueriesContext(connection) as few:
        body = api.get("/api/communications/").json()
    assert body["count"] == 3 and listed(body) == logged()
    add_messages(12)
    with django_assert_max_num_queries(len(few)):
        body = api.get("/api/communications/").json()
    assert body["count"] == 16 and listed(body) == logged()
    body = api.get("/api/communications/", {"incident": first.pk}).json()
    assert body["count"] == 2 and {m["incident"] for m in body["results"]} == {first.pk}


# --- notifications ---------------------------------------------------------------------------------


def notify(event: str, *people) -> None:
    notifications.notify(
        event=event,
        kind="incidents.opened",
        recipients=notifications.recipients_of(people),
        subject=f"About {event}",
        body="…",
        about=event,
        about_url="/incidents/1/",
    )


def test_a_member_sees_only_the_notifications_addressed_to_them(api, member, manager_api, manager):
    other = TeamMemberFactory()
    notify("incident-1-opened", member, other)
    notify("incident-2-opened", other)
    # An address the portal wrote down without the member (e.g. a downstream lead who is also on the team).
    Notification.objects.create(
        key="lead", kind="sla.escalation", recipient=member.email.upper(), subject="Breach", body="…"
    )
    mine = api.get("/api/notifications/").json()
    assert len(mine["results"]) == 2 and mine["next"] is None
    assert {n["subject"] for n in mine["results"]} == {"About incident-1-opened", "Breach"}
    assert {n["recipient"].lower() for n in mine["results"]} == {member.email}
    first = mine["results"][-1]
    assert set(first) == {
        "id", "recipient", "subject", "kind", "about", "about_url", "created_at", "sent_at", "status", "attempts",
        "last_error",
    }  # fmt: skip
    assert first["about_url"].endswith("/incidents/1/") and first["status"] == "pending"

    everything = manager_api.get("/api/notifications/").json()
    assert len(everything["results"]) == 4 and everything["next"] is None
    theirs = Notification.objects.filter(member=other).first()
    assert api.get(f"/api/notifications/{theirs.pk}/").status_code == 404
    assert manager_api.get(f"/api/notifications/{theirs.pk}/").status_code == 200


def test_staff_see_every_notification_and_nobody_writes_them(manager_api, api, member):
    notify("incident-3-opened", TeamMemberFactory())
    staff = APIClient()
    staff.force_authenticate(UserFactory(username="staff", is_staff=True))
    assert len(staff.get("/api/notifications/").json()["results"]) == 1
    assert manager_api.post("/api/notifications/", {"recipient": "x@example.com"}).status_code == 405
    assert api.post("/api/notifications/", {"recipient": "x@example.com"}).status_code == 403


def test_notifications_filter_by_kind_and_query_count_is_flat(manager_api, django_assert_max_num_queries):
    def listed(body) -> set[tuple[str, str]]:
        return {(n["recipient"], n["subject"]) for n in body["results"]}

    first = TeamMemberFactory.create_batch(2)
    notify("incident-1-opened", *first)
    with CaptureQueriesContext(connection) as few:
        body = manager_api.get("/api/notifications/").json()
    assert listed(body) == {(member.email, "About incident-1-opened") for member in first}
    then = TeamMemberFactory.create_batch(20)
    notify("incident-2-opened", *then)
    with django_assert_max_num_queries(len(few)):
        body = manager_api.get("/api/notifications/").json()
    assert listed(body) == {(member.email, "About incident-1-opened") for member in first} | {
        (member.email, "About incident-2-opened") for member in then
    }
    assert len(manager_api.get("/api/notifications/", {"kind": "incidents.opened"}).json()["results"]) == 22
    assert manager_api.get("/api/notifications/", {"kind": "other"}).json()["results"] == []


def test_the_schema_documents_the_incident_endpoints(api):
    paths = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()["paths"]
    assert "/api/incidents/{id}/acknowledge/" in paths
    assert "/api/communications/" in paths and "/api/notifications/" in paths
