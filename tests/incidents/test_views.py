import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents.choices import IncidentStatus, Severity
from incidents.communications import communication_log
from incidents.models import Communication, Incident
from incidents.services import incident_deadlines, incident_note_add, incident_step
from incidents.views import Clock
from pipelines.models import SlaPolicy
from tests.incidents.factories import IncidentFactory
from tests.oncall.factories import TeamMemberFactory, UserFactory
from tests.pipelines.factories import PipelineFactory

pytestmark = pytest.mark.django_db

LOCAL = "%Y-%m-%dT%H:%M"  # what a datetime-local input sends


def an_hour_ago() -> datetime:
    return (timezone.now() - timedelta(hours=1)).replace(second=0, microsecond=0)


# --- opening -------------------------------------------------------------------------------------


def test_opening_from_the_form_lists_shows_and_emails_the_incident(
    member_client, member, pipeline, on_call_team, django_capture_on_commit_callbacks
):
    detected = an_hour_ago()
    on_call = on_call_team.shifts.covering(detected).get().member
    form = member_client.get("/incidents/new/", {"pipeline": pipeline.slug})
    assert form.status_code == 200
    assert f'<option value="{pipeline.slug}" selected>' in form.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = member_client.post(
            "/incidents/new/",
            {
                "pipeline": pipeline.slug,
                "title": "Sales file has no header",
                "severity": Severity.CRITICAL,
                "detected_at": detected.strftime(LOCAL),
                "description": "The 06:00 load failed.",
                "assignee": "",
            },
        )

    incident = Incident.objects.get()
    assert response.status_code == 302 and response.url == incident.get_absolute_url()
    assert incident.detected_at == detected
    assert incident.assignee == on_call and incident.opened_by == member
    told = {message.to[0] for message in mail.outbox}
    assert on_call.email in told and pipeline.primary_owner.email in told

    detail = member_client.get(response.url).content.decode()
    assert "Sales file has no header" in detail
    assert f"assigned to {on_call.name}" in detail  # the message after the redirect
    assert "Incident opened." in detail
    listing = member_client.get("/incidents/").content.decode()
    assert f'href="{incident.get_absolute_url()}"' in listing and "Profit Pipeline" in listing


def test_opening_with_bad_input_shows_errors_next_to_the_fields_and_keeps_the_input(member_client, pipeline):
    future = timezone.now() + timedelta(hours=2)
    response = member_client.post(
        "/incidents/new/",
        {
            "pipeline": pipeline.slug,
            "title": "Late file",
            "severity": Severity.MAJOR,
            "detected_at": future.strftime(LOCAL),
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {"detected_at": ["The detection time cannot be in the future."]}
    html = response.content.decode()
    assert 'value="Late file"' in html and f'value="{future.strftime(LOCAL)}"' in html
    assert not Incident.objects.exists()

    response = member_client.post("/incidents/new/", {"pipeline": "no-such-pipeline", "severity": "critical"})
    assert set(response.context["form"].errors) == {"pipeline", "title", "detected_at"}


def test_an_explicit_assignee_wins_over_the_on_call_member(member_client, pipeline, on_call_team):
    chosen = TeamMemberFactory()
    member_client.post(
        "/incidents/new/",
        {
            "pipeline": pipeline.slug,
            "title": "Drift",
            "severity": Severity.MINOR,
            "detected_at": an_hour_ago().strftime(LOCAL),
            "assignee": chosen.pk,
        },
    )
    assert Incident.objects.get().assignee == chosen


# --- steps, notes, communications ------------------------------------------------------------------


def test_acknowledging_changes_the_status_the_timeline_and_the_buttons(member_client, member):
    incident = IncidentFactory(detected_at=an_hour_ago())
    page = member_client.get(incident.get_absolute_url())
    assert [action.step for action in page.context["steps"]] == ["acknowledge", "mitigate", "resolve"]

    response = member_client.post(f"/incidents/{incident.pk}/acknowledge/", {"acknowledge-note": "Looking."})
    assert response.status_code == 302 and response.url == f"{incident.get_absolute_url()}#status"
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.ACKNOWLEDGED and incident.acknowledged_by == member

    page = member_client.get(incident.get_absolute_url())
    assert [action.step for action in page.context["steps"]] == ["mitigate", "resolve"]
    html = page.content.decode()
    assert f"{member.name}: Acknowledged. Looking." in html
    assert f'action="/incidents/{incident.pk}/acknowledge/"' not in html


def test_a_step_can_be_recorded_after_the_fact(member_client):
    detected = an_hour_ago()
    incident = IncidentFactory(detected_at=detected)
    member_client.post(
        f"/incidents/{incident.pk}/mitigate/", {"mitigate-when": (detected + timedelta(minutes=20)).strftime(LOCAL)}
    )
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.MITIGATED
    # Mitigating an unacknowledged incident acknowledges it at the same moment.
    assert incident.mitigated_at == incident.acknowledged_at == detected + timedelta(minutes=20)


def test_a_step_in_the_future_is_refused_with_the_form_and_changes_nothing(member_client):
    incident = IncidentFactory(detected_at=an_hour_ago())
    future = (timezone.now() + timedelta(hours=1)).strftime(LOCAL)
    response = member_client.post(
        f"/incidents/{incident.pk}/acknowledge/", {"acknowledge-when": future, "acknowledge-note": "on it"}
    )
    assert response.status_code == 200
    form = next(action.form for action in response.context["steps"] if action.step == "acknowledge")
    assert form.errors == {"when": ["That time is in the future."]}
    html = response.content.decode()
    assert f'value="{future}"' in html and 'value="on it"' in html
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.OPEN and incident.acknowledged_at is None
    assert incident.notes.count() == 0


def test_a_step_before_the_previous_one_is_refused(member_client, member):
    detected = an_hour_ago()
    incident = IncidentFactory(detected_at=detected)
    incident_step(incident_id=incident.pk, step="acknowledge", member=member, at=detected + timedelta(minutes=30))
    response = member_client.post(
        f"/incidents/{incident.pk}/resolve/", {"resolve-when": (detected + timedelta(minutes=10)).strftime(LOCAL)}
    )
    form = next(action.form for action in response.context["steps"] if action.step == "resolve")
    assert "before the previous step" in form.errors["when"][0]
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.ACKNOWLEDGED


def test_a_step_the_status_no_longer_allows_says_why(member_client, member):
    incident = IncidentFactory(detected_at=an_hour_ago())
    incident_step(incident_id=incident.pk, step="resolve", member=member)
    page = member_client.get(incident.get_absolute_url())
    assert page.context["steps"] == [] and "nothing left to record" in page.content.decode()

    # Someone resolved it while this page was open: the old button answers with the reason.
    response = member_client.post(f"/incidents/{incident.pk}/acknowledge/", {})
    assert response.status_code == 200
    assert "The incident is already resolved." in response.content.decode()


def test_an_account_that_is_not_on_the_team_cannot_record_steps(client):
    client.force_login(UserFactory(username="admin", is_staff=True, is_superuser=True))
    incident = IncidentFactory(detected_at=an_hour_ago())
    response = client.post(f"/incidents/{incident.pk}/acknowledge/", {})
    assert "Only team members can change incidents" in response.content.decode()
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.OPEN


def test_notes_and_stakeholder_messages_are_added_from_the_page(member_client, member):
    incident = IncidentFactory(detected_at=an_hour_ago())
    response = member_client.post(f"/incidents/{incident.pk}/notes/", {"note-text": "Restarted the load."})
    assert response.url.endswith("#timeline")
    response = member_client.post(
        f"/incidents/{incident.pk}/communications/",
        {
            "communication-audience": "Profit team",
            "communication-channel": "chat",
            "communication-message": "ETA 11:00",
        },
    )
    assert response.url.endswith("#communications")
    communication = Communication.objects.get()
    assert communication.incident == incident and communication.pipeline == incident.pipeline
    assert communication.sent_by == member
    html = member_client.get(incident.get_absolute_url()).content.decode()
    assert "Restarted the load." in html and "ETA 11:00" in html and "Profit team" in html


def test_a_bad_stakeholder_message_keeps_the_input_and_saves_nothing(member_client):
    incident = IncidentFactory(detected_at=an_hour_ago())
    future = (timezone.now() + timedelta(days=1)).strftime(LOCAL)
    response = member_client.post(
        f"/incidents/{incident.pk}/communications/",
        {
            "communication-audience": "Profit team",
            "communication-channel": "email",
            "communication-message": "Fixed",
            "communication-sent_at": future,
        },
    )
    assert response.context["communication_form"].errors == {"sent_at": ["That time is in the future."]}
    assert 'value="Profit team"' in response.content.decode()
    assert not Communication.objects.exists()


# --- deadlines -------------------------------------------------------------------------------------


def test_detail_shows_whether_deadlines_were_met_or_missed(member_client, member):
    detected = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)  # a Monday in business hours: due 10:15
    incident = IncidentFactory(detected_at=detected)
    incident_step(incident_id=incident.pk, step="acknowledge", member=member, at=detected + timedelta(minutes=10))
    incident_step(incident_id=incident.pk, step="resolve", member=member, at=detected + timedelta(hours=4))
    response = member_client.get(incident.get_absolute_url())
    assert response.context["acknowledge_clock"].state == "met"
    assert response.context["resolve_clock"].state == "missed"
    html = response.content.decode()
    assert "met with 5\xa0minutes to spare" in html and "missed by 1\xa0hour" in html


def test_detail_of_a_minor_incident_has_no_deadlines(member_client):
    incident = IncidentFactory(detected_at=an_hour_ago(), severity=Severity.MINOR)
    response = member_client.get(incident.get_absolute_url())
    assert response.context["acknowledge_clock"] is None
    assert "Only critical incidents have SLA deadlines." in response.content.decode()


def test_clock_says_how_much_time_is_left_or_by_how_much_it_was_missed():
    due = datetime(2026, 11, 2, 10, 15, tzinfo=UTC)
    assert Clock(due, None, due - timedelta(minutes=12)).summary == "12\xa0minutes left"
    assert Clock(due, None, due + timedelta(hours=2)).summary == "overdue by 2\xa0hours"
    assert Clock(due, due - timedelta(minutes=3), due).summary == "met with 3\xa0minutes to spare"
    assert Clock(due, due + timedelta(minutes=7), due).summary == "missed by 7\xa0minutes"


def test_list_shows_the_acknowledgement_deadline_of_open_critical_incidents(member_client, member, on_call_team):
    waiting = IncidentFactory(detected_at=datetime(2026, 11, 2, 10, 0, tzinfo=UTC))
    acknowledged = IncidentFactory(detected_at=an_hour_ago())
    incident_step(incident_id=acknowledged.pk, step="acknowledge", member=member)
    major = IncidentFactory(detected_at=an_hour_ago(), severity=Severity.MAJOR)
    response = member_client.get("/incidents/")
    clocks = {incident.pk: clock for incident, clock in response.context["rows"]}
    assert clocks[waiting.pk].due == incident_deadlines(waiting).acknowledge
    assert clocks[waiting.pk].state == "overdue"
    assert clocks[acknowledged.pk] is None and clocks[major.pk] is None
    assert "overdue by" in response.content.decode()


# --- the list --------------------------------------------------------------------------------------


def test_list_puts_unresolved_incidents_first_then_the_newest(member_client, member):
    old_open = IncidentFactory(detected_at=datetime(2026, 10, 1, tzinfo=UTC))
    new_resolved = IncidentFactory(detected_at=an_hour_ago())
    incident_step(incident_id=new_resolved.pk, step="resolve", member=member)
    new_open = IncidentFactory(detected_at=an_hour_ago() + timedelta(minutes=1))
    response = member_client.get("/incidents/")
    assert [incident.pk for incident, _clock in response.context["rows"]] == [new_open.pk, old_open.pk, new_resolved.pk]


def test_list_filters_by_pipeline_severity_status_and_month(member_client, member):
    profit, growth = PipelineFactory(slug="profit"), PipelineFactory(slug="growth")
    october = IncidentFactory(pipeline=profit, detected_at=datetime(2026, 10, 31, 23, 59, tzinfo=UTC))
    november = IncidentFactory(pipeline=growth, detected_at=datetime(2026, 11, 1, 0, 0, tzinfo=UTC))
    minor = IncidentFactory(pipeline=profit, detected_at=an_hour_ago(), severity=Severity.MINOR)
    incident_step(incident_id=minor.pk, step="acknowledge", member=member)

    def shown(**query) -> set[int]:
        return {incident.pk for incident, _clock in member_client.get("/incidents/", query).context["rows"]}

    assert shown(pipeline="profit") == {october.pk, minor.pk}
    assert shown(severity="minor") == {minor.pk}
    assert shown(status="acknowledged") == {minor.pk}
    assert shown(month="2026-10") == {october.pk}
    assert shown(month="2026-11", pipeline="growth") == {november.pk}

    response = member_client.get("/incidents/", {"month": "October"})
    assert response.context["filterset"].form.errors == {"month": ["Enter a month as YYYY-MM, e.g. 2026-11."]}
    assert "Enter a month as YYYY-MM" in response.content.decode()


def test_list_finds_the_pipeline_by_its_slug_or_part_of_its_name(member_client, member):
    profit = PipelineFactory(name="Profit Pipeline", slug="profit-pipeline")
    investors = PipelineFactory(name="Aggregate Profit Pipeline for Investors", slug="aggregate-profit-pipeline")
    growth = PipelineFactory(name="Growth", slug="growth")
    incidents = {p.slug: IncidentFactory(pipeline=p, detected_at=an_hour_ago()).pk for p in (profit, investors, growth)}

    def shown(text: str) -> set[int]:
        response = member_client.get("/incidents/", {"pipeline": text})
        assert response.status_code == 200
        return {incident.pk for incident, _clock in response.context["rows"]}

    # The runbook page links with the exact slug: only that pipeline, not the others whose slug contains it.
    assert shown("profit-pipeline") == {incidents["profit-pipeline"]}
    assert shown("profit") == {incidents["profit-pipeline"], incidents["aggregate-profit-pipeline"]}
    assert shown("investors aggregate") == {incidents["aggregate-profit-pipeline"]}
    assert shown("  GROW ") == {incidents["growth"]}

    response = member_client.get("/incidents/", {"pipeline": "no such thing"})
    html = response.content.decode()
    assert response.status_code == 200 and response.context["rows"] == []
    assert "No incidents match the filters (pipeline “no such thing”, looked for in pipeline slugs and names)." in html


def test_list_pipeline_filter_is_a_labelled_text_box_not_a_menu_of_every_pipeline(member_client):
    for n in range(30):
        PipelineFactory(name=f"Quiet feed {n}", slug=f"quiet-feed-{n}")
    html = member_client.get("/incidents/", {"pipeline": "quiet-feed-3"}).content.decode()
    assert '<label for="id_pipeline">Pipeline:</label>' in html
    assert re.search(r'<input type="search" name="pipeline" value="quiet-feed-3"[^>]* id="id_pipeline"', html)
    assert "Quiet feed" not in html and '<select name="pipeline"' not in html


def test_list_shows_only_the_unresolved_when_asked(member_client, member):
    still_open = IncidentFactory(detected_at=an_hour_ago())
    resolved = IncidentFactory(detected_at=an_hour_ago())
    incident_step(incident_id=resolved.pk, step="resolve", member=member)

    def shown(**query) -> set[int]:
        return {incident.pk for incident, _clock in member_client.get("/incidents/", query).context["rows"]}

    assert shown(unresolved="true") == {still_open.pk}
    assert shown(unresolved="false") == {resolved.pk}
    assert shown() == {still_open.pk, resolved.pk}


def list_rows(html: str) -> set[tuple[str, str, str, str]]:
    """The incident list's rows: the incident's link, its pipeline, status and assignee."""
    return set(
        re.findall(
            r'<th scope="row"><a href="([^"]+)">[^<]*</a></th>\s*<td><a [^>]*>([^<]+)</a></td>\s*<td>.*?</td>'
            r"\s*<td>([^<]+)</td>\s*<td>.*?</td>\s*<td>([^<]+)</td>",
            html,
            re.S,
        )
    )


def test_list_query_count_is_flat(member_client, member, on_call_team, django_assert_max_num_queries):
    added = set()

    def add_incidents(count: int) -> None:
        for n in range(count):
            incident = IncidentFactory(
                detected_at=datetime(2026, 11, 2 + n % 20, 10, tzinfo=UTC), assignee=member, severity=Severity.CRITICAL
            )
            if n % 3 == 0:
                incident_step(incident_id=incident.pk, step="acknowledge", member=member)
            status = "Acknowledged" if n % 3 == 0 else "Open"
            added.add((incident.get_absolute_url(), incident.pipeline.name, status, member.name))

    add_incidents(3)
    with CaptureQueriesContext(connection) as few:
        html = member_client.get("/incidents/").content.decode()
    assert list_rows(html) == added
    add_incidents(25)
    with django_assert_max_num_queries(len(few)):
        response = member_client.get("/incidents/")
    assert len(response.context["rows"]) == 28
    assert list_rows(response.content.decode()) == added


# The member signing in (the session is read from the cache), the count and the page of incidents (with pipeline
# and assignee), and for the acknowledgement clocks the policy, the rotations and their own holidays; a typed
# pipeline adds the look-up of its exact slug.
INCIDENT_PAGE_QUERIES = 6


@pytest.mark.parametrize(("pipelines", "incidents"), [(2, 3), (30, 70)])
@pytest.mark.parametrize("query", [{}, {"pipeline": "feed", "severity": "critical"}])
def test_list_costs_the_same_queries_at_any_size(
    member_client, member, on_call_team, django_assert_num_queries, pipelines, incidents, query
):
    SlaPolicy.current()  # stored on first use, as on any running portal
    feeds = [PipelineFactory(name=f"Feed {n}", slug=f"feed-{n}") for n in range(pipelines)]
    made = []
    for n in range(incidents):
        incident = IncidentFactory(
            pipeline=feeds[n % pipelines],
            detected_at=datetime(2026, 11, 2 + n % 20, 10, n % 60, tzinfo=UTC),
            assignee=member,
        )
        if n % 4 == 0:
            incident_step(incident_id=incident.pk, step="resolve", member=member)
        made.append(Incident.objects.get(pk=incident.pk))
    open_first = sorted(made, key=lambda i: (i.status == IncidentStatus.RESOLVED, -i.detected_at.timestamp(), -i.pk))
    with django_assert_num_queries(INCIDENT_PAGE_QUERIES + bool(query)):
        response = member_client.get("/incidents/", query)
    html = response.content.decode()
    assert f"{incidents} incidents" in html
    assert list_rows(html) == {
        (i.get_absolute_url(), i.pipeline.name, i.get_status_display(), member.name) for i in open_first[:50]
    }
    shown = [incident.pk for incident, _clock in response.context["rows"]]
    assert shown == [i.pk for i in open_first[:50]]


def test_detail_query_count_is_flat(member_client, member, django_assert_max_num_queries):
    def note(author, text: str) -> str:
        return f'<span class="muted">— {author.name}</span><br>{text}</p>'

    incident = IncidentFactory(detected_at=an_hour_ago(), assignee=member)
    incident_note_add(incident=incident, author=member, text="First")
    with CaptureQueriesContext(connection) as few:
        html = member_client.get(incident.get_absolute_url()).content.decode()
    assert note(member, "First") in html
    notes, messages = [], []
    for n in range(10):
        author, sender = TeamMemberFactory(), TeamMemberFactory()
        incident_note_add(incident=incident, author=author, text=f"Note {n}")
        communication_log(
            pipeline=incident.pipeline, incident=incident, audience="Owners", message=f"{n}", channel="email",
            sent_by=sender,
        )  # fmt: skip
        notes.append(note(author, f"Note {n}"))
        messages.append(rf"<td>Owners</td>\s*<td>Email</td>\s*<td>{n}</td>\s*<td>{sender.name}</td>")
    incident_step(incident_id=incident.pk, step="acknowledge", member=member)
    with django_assert_max_num_queries(len(few)):
        html = member_client.get(incident.get_absolute_url()).content.decode()
    assert note(member, "First") in html and all(text in html for text in notes)
    assert all(re.search(message, html) for message in messages)
    assert '<span class="badge">Acknowledged</span>' in html


# --- access and the runbook page -------------------------------------------------------------------


def test_pages_and_buttons_need_a_signed_in_user(client):
    incident = IncidentFactory(detected_at=an_hour_ago())
    for path in ("/incidents/", "/incidents/new/", incident.get_absolute_url()):
        response = client.get(path)
        assert response.status_code == 302 and response.url.startswith("/accounts/login/"), path
    response = client.post(f"/incidents/{incident.pk}/acknowledge/", {})
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.OPEN


def test_step_urls_take_posts_only(member_client):
    incident = IncidentFactory(detected_at=an_hour_ago())
    assert member_client.get(f"/incidents/{incident.pk}/acknowledge/").status_code == 405


def test_runbook_page_lists_the_pipelines_incidents(member_client, member, pipeline):
    mine = IncidentFactory(pipeline=pipeline, title="Header missing", detected_at=an_hour_ago())
    IncidentFactory(title="Somebody else's", detected_at=an_hour_ago())
    html = member_client.get(pipeline.get_absolute_url()).content.decode()
    assert f'<a href="{mine.get_absolute_url()}">#{mine.pk} Header missing</a>' in html
    assert "Somebody else" not in html
    assert "/incidents/?pipeline=profit-pipeline" in html


def test_runbook_page_costs_one_query_for_its_incidents(member_client, pipeline, django_assert_max_num_queries):
    def link(incident) -> str:
        return f'<th scope="row"><a href="{incident.get_absolute_url()}">#{incident.pk} {incident.title}</a></th>'

    first = IncidentFactory(pipeline=pipeline, detected_at=an_hour_ago())
    with CaptureQueriesContext(connection) as few:
        html = member_client.get(pipeline.get_absolute_url()).content.decode()
    assert link(first) in html
    later = IncidentFactory.create_batch(15, pipeline=pipeline, detected_at=an_hour_ago())
    with django_assert_max_num_queries(len(few)):
        html = member_client.get(pipeline.get_absolute_url()).content.decode()
    assert html.count('<th scope="row"><a href="/incidents/') == 10  # the newest ten
    assert all(link(incident) in html for incident in later[-10:])  # detected together: the last made
