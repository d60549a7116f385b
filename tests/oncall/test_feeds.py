"""The iCalendar feeds: what a subscribed Google Calendar or Outlook would read."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from oncall.models import Rotation, Shift
from oncall.scheduling import shift_bounds
from oncall.services import member_feed_token_reset, rotation_feed_token_reset
from tests.oncall.factories import RotationFactory, TeamMemberFactory, rotation_with

pytestmark = pytest.mark.django_db

NEW_YORK = "America/New_York"


def make_rotation(name: str = "Data platform", time_zone: str = NEW_YORK, **fields) -> Rotation:
    return RotationFactory(name=name, time_zone=time_zone, **fields)


def make_shift(rotation: Rotation, day: date, member, **fields) -> Shift:
    start, end = shift_bounds(day, rotation.time_zone, rotation.handoff_time)
    return Shift.objects.create(rotation=rotation, date=day, member=member, start=start, end=end, **fields)


def member_feed_url(member) -> str:
    return reverse("feeds:member-feed", kwargs={"token": member.calendar_token})


def rotation_feed_url(rotation: Rotation) -> str:
    return reverse("feeds:rotation-feed", kwargs={"token": rotation.feed_token})


def fetch(client, url: str) -> Calendar:
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return Calendar.from_ical(response.content)


def uids(calendar: Calendar) -> set[str]:
    return {str(event["UID"]) for event in calendar.events}


@pytest.fixture
def rotation() -> Rotation:
    return make_rotation()


def test_member_feed_lists_exactly_the_members_shifts_anonymously(client, rotation):
    jane, other = TeamMemberFactory(name="Jane Doe"), TeamMemberFactory()
    today = timezone.localdate()
    mine = [make_shift(rotation, today + timedelta(days=offset), jane) for offset in (-3, 0, 1, 40)]
    make_shift(rotation, today + timedelta(days=2), other)
    elsewhere = make_shift(make_rotation("Finance", "Europe/Berlin"), today, jane)

    calendar = fetch(client, member_feed_url(jane))

    assert uids(calendar) == {f"shift-{shift.pk}@pipeline-ops" for shift in [*mine, elsewhere]}
    assert len(calendar.events) == 5
    assert calendar["VERSION"] == "2.0"
    assert "Pipeline Ops Portal" in str(calendar["PRODID"])
    assert str(calendar["X-WR-CALNAME"]) == "On call: Jane Doe"
    assert calendar.refresh_interval == timedelta(hours=6)
    assert {str(event["SUMMARY"]) for event in calendar.events} == {"On call: Jane Doe"}


def next_spring_forward(after: date, zone: ZoneInfo) -> date:
    """The next day that is 23 hours long in `zone`."""
    day = after

    def midnight(d: date) -> datetime:
        return datetime.combine(d, time(), zone).astimezone(UTC)  # in UTC, so subtraction counts real hours

    while midnight(day + timedelta(days=1)) - midnight(day) != timedelta(hours=23):
        day += timedelta(days=1)
    return day


def test_member_feed_times_are_in_the_rotation_zone_with_its_vtimezone(client, rotation):
    jane = TeamMemberFactory()
    # A spring-forward day: the shift runs local midnight to local midnight, 23 hours.
    day = next_spring_forward(timezone.localdate(), ZoneInfo(NEW_YORK))
    make_shift(rotation, day, jane)

    calendar = fetch(client, member_feed_url(jane))

    (event,) = calendar.events
    assert event["DTSTART"].params["TZID"] == NEW_YORK
    assert event["DTEND"].params["TZID"] == NEW_YORK
    assert event.start == datetime.combine(day, time(), ZoneInfo(NEW_YORK))
    assert event.end == datetime.combine(day + timedelta(days=1), time(), ZoneInfo(NEW_YORK))
    assert event.end.astimezone(UTC) - event.start.astimezone(UTC) == timedelta(hours=23)
    assert [tz.tz_name for tz in calendar.timezones] == [NEW_YORK]
    assert calendar.get_missing_tzids() == set()
    assert "DTSTAMP" in event


def test_feed_summary_names_the_holiday_and_marks_trades_and_describes_warnings(client, rotation):
    jane = TeamMemberFactory(name="Jane Doe")
    today = timezone.localdate()
    make_shift(rotation, today, jane, kind="holiday", holiday_name="Christmas Day")
    make_shift(
        rotation,
        today + timedelta(days=1),
        jane,
        kind="holiday",
        holiday_name="New Year's Day",
        traded=True,
        warning="Jane Doe held New Year's Day within the last 4 years.",
    )

    events = {str(event["SUMMARY"]): event for event in fetch(client, member_feed_url(jane)).events}

    assert set(events) == {"On call (Christmas Day): Jane Doe", "On call (New Year's Day): Jane Doe (traded)"}
    traded = events["On call (New Year's Day): Jane Doe (traded)"]
    assert "held New Year's Day within the last 4 years" in str(traded["DESCRIPTION"])
    assert "Warning" not in str(events["On call (Christmas Day): Jane Doe"]["DESCRIPTION"])


def test_feed_covers_sixty_days_back_and_two_years_ahead(client, rotation):
    jane = TeamMemberFactory()
    today = timezone.localdate()
    inside = [make_shift(rotation, today + timedelta(days=offset), jane) for offset in (-60, 700)]
    for offset in (-61, 800):
        make_shift(rotation, today + timedelta(days=offset), jane)

    assert uids(fetch(client, member_feed_url(jane))) == {f"shift-{shift.pk}@pipeline-ops" for shift in inside}


def test_rotation_feed_lists_every_generated_shift(client):
    members = TeamMemberFactory.create_batch(3)
    today = timezone.localdate()
    rotation = rotation_with(
        members,
        name="Data platform",
        time_zone=NEW_YORK,
        start=today - timedelta(days=today.weekday()),
        generate_until=today + timedelta(days=45),
        from_start=True,
    )
    make_shift(make_rotation("Finance"), today, members[0])  # another rotation's shift stays out

    calendar = fetch(client, rotation_feed_url(rotation))

    shifts = rotation.shifts.all()
    assert len(shifts) >= 46
    assert uids(calendar) == {f"shift-{shift.pk}@pipeline-ops" for shift in shifts}
    holders = {str(event["SUMMARY"]).split(": ", 1)[1] for event in calendar.events}
    assert holders == {member.name for member in members}


def test_member_feed_query_count_stays_flat(client, rotation, django_assert_num_queries):
    jane = TeamMemberFactory()
    today = timezone.localdate()
    finance = make_rotation("Finance", "Europe/Berlin")
    shifts = [
        make_shift(rotation if offset % 2 else finance, today + timedelta(days=offset), jane) for offset in range(30)
    ]

    with django_assert_num_queries(2):  # the member by token, then the shifts with rotation and member
        calendar = fetch(client, member_feed_url(jane))
    assert len(calendar.events) == 30
    assert uids(calendar) == {f"shift-{shift.pk}@pipeline-ops" for shift in shifts}
    assert {str(event["SUMMARY"]) for event in calendar.events} == {f"On call: {jane.name}"}
    zones = {str(event["UID"]): event["DTSTART"].params["TZID"] for event in calendar.events}
    assert zones == {f"shift-{shift.pk}@pipeline-ops": shift.rotation.time_zone for shift in shifts}


def test_rotation_feed_query_count_stays_flat(client, rotation, django_assert_num_queries):
    members = TeamMemberFactory.create_batch(3)
    today = timezone.localdate()
    shifts = [make_shift(rotation, today + timedelta(days=offset), members[offset % 3]) for offset in range(30)]

    with django_assert_num_queries(2):
        calendar = fetch(client, rotation_feed_url(rotation))
    assert len(calendar.events) == 30
    holders = {str(event["UID"]): str(event["SUMMARY"]).split(": ", 1)[1] for event in calendar.events}
    assert holders == {f"shift-{shift.pk}@pipeline-ops": shift.member.name for shift in shifts}


def test_feed_with_a_wrong_token_is_not_found(client, rotation):
    jane = TeamMemberFactory()
    make_shift(rotation, timezone.localdate(), jane)

    assert client.get(reverse("feeds:member-feed", kwargs={"token": "not-the-token"})).status_code == 404
    assert client.get(reverse("feeds:rotation-feed", kwargs={"token": jane.calendar_token})).status_code == 404
    assert client.get(reverse("feeds:member-feed", kwargs={"token": rotation.feed_token})).status_code == 404


def test_member_feed_token_reset_revokes_the_old_member_feed_url(client, rotation):
    jane = TeamMemberFactory()
    make_shift(rotation, timezone.localdate(), jane)
    old_url = member_feed_url(jane)
    assert client.get(old_url).status_code == 200

    new_token = member_feed_token_reset(member=jane)

    jane.refresh_from_db()
    assert jane.calendar_token == new_token
    assert client.get(old_url).status_code == 404
    assert len(fetch(client, member_feed_url(jane)).events) == 1


def test_rotation_feed_token_reset_revokes_the_old_rotation_feed_url(client, rotation):
    make_shift(rotation, timezone.localdate(), TeamMemberFactory())
    old_url = rotation_feed_url(rotation)
    assert client.get(old_url).status_code == 200

    rotation_feed_token_reset(rotation=rotation)

    rotation.refresh_from_db()
    assert client.get(old_url).status_code == 404
    assert len(fetch(client, rotation_feed_url(rotation)).events) == 1


def test_feed_is_not_kept_by_shared_caches(client, rotation):
    response = client.get(rotation_feed_url(rotation))

    assert response.status_code == 200
    assert "private" in response["Cache-Control"]
