"""On-call API: rotations and their order, who is on call, shifts, holidays and offboarding."""

from datetime import UTC, date, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from oncall.models import RotationMembership, Shift
from tests.oncall.factories import (
    RotationFactory,
    RotationMembershipFactory,
    ShiftFactory,
    TeamMemberFactory,
    rotation_with,
)

pytestmark = pytest.mark.django_db


def team_rotation(size=4, *, until=date(2027, 1, 31), **fields):
    members = TeamMemberFactory.create_batch(size)
    return rotation_with(members, generate_until=until, **fields), members


@pytest.fixture
def team():
    return team_rotation()


def usernames(members) -> list[str]:
    return [m.user.username for m in members]


# --- rotations -----------------------------------------------------------------------------------


def test_rotations_list_their_order_by_username(api, team):
    rotation, members = team
    body = api.get(f"/api/rotations/{rotation.pk}/").json()
    assert body["order"] == usernames(members)
    assert body["time_zone"] == "UTC" and body["handoff_time"] == "00:00:00" and body["block_days"] == 7
    assert body["holiday_country"] == "US" and body["window_years"] == 4 and body["start_date"] == "2026-11-23"


def test_manager_sets_the_order_and_the_rotation_is_regenerated(manager_api, team, django_capture_on_commit_callbacks):
    rotation, (a, b, c, d) = team
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_api.patch(
            f"/api/rotations/{rotation.pk}/", {"order": usernames([d, c, b, a])}, format="json"
        )
    assert response.status_code == 200, response.json()
    assert response.json()["order"] == usernames([d, c, b, a])
    current = rotation.memberships.filter(ends_on__isnull=True).order_by("position")
    assert [(m.member, m.position, m.starts_on) for m in current] == [
        (d, 0, date(2026, 11, 25)),
        (c, 1, date(2026, 11, 25)),
        (b, 2, date(2026, 11, 25)),
        (a, 3, date(2026, 11, 25)),
    ]
    # Past days keep the order they were planned with; the weeks ahead follow the new one.
    assert rotation.memberships.filter(ends_on=date(2026, 11, 25)).count() == 4
    assert Shift.objects.get(rotation=rotation, date=date(2026, 12, 1)).member == c  # 2nd block → position 1
    assert Shift.objects.get(rotation=rotation, date=date(2026, 12, 8)).member == b


def test_reordering_a_rotation_that_has_not_begun_leaves_no_history(manager_api):
    rotation = RotationFactory(start_date=date(2026, 12, 7))
    a, b = TeamMemberFactory(), TeamMemberFactory()
    RotationMembershipFactory(rotation=rotation, member=a, position=0)
    response = manager_api.patch(f"/api/rotations/{rotation.pk}/", {"order": usernames([b, a])}, format="json")
    assert response.status_code == 200, response.json()
    memberships = rotation.memberships.order_by("position")
    assert [(m.member, m.position, m.starts_on, m.ends_on) for m in memberships] == [
        (b, 0, None, None),
        (a, 1, None, None),
    ]


def test_changing_the_block_length_regenerates_the_rotation(manager_api, team, django_capture_on_commit_callbacks):
    rotation, (a, b, *_) = team
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_api.patch(f"/api/rotations/{rotation.pk}/", {"block_days": 14}, format="json")
    assert response.status_code == 200, response.json()
    # Two-week blocks from 23 November: the first member holds through 6 December, the second from the 7th.
    assert Shift.objects.get(rotation=rotation, date=date(2026, 12, 2)).member == a
    assert Shift.objects.get(rotation=rotation, date=date(2026, 12, 8)).member == b


def test_setting_the_same_order_changes_nothing(manager_api, team):
    rotation, members = team
    before = list(RotationMembership.objects.values_list("pk", flat=True))
    response = manager_api.patch(f"/api/rotations/{rotation.pk}/", {"order": usernames(members)}, format="json")
    assert response.status_code == 200
    assert list(RotationMembership.objects.values_list("pk", flat=True)) == before


def test_manager_creates_a_rotation_with_an_order(manager_api, django_capture_on_commit_callbacks):
    a, b = TeamMemberFactory(), TeamMemberFactory()
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_api.post(
            "/api/rotations/",
            {"name": "Night", "order": usernames([a, b]), "time_zone": "Europe/Berlin", "start_date": "2026-11-30"},
            format="json",
        )
    assert response.status_code == 201, response.json()
    assert response.json()["order"] == usernames([a, b])
    first = Shift.objects.get(rotation_id=response.json()["id"], date=date(2026, 11, 30))
    assert first.member == a and first.start == datetime(2026, 11, 29, 23, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"holiday_country": "XX"}, "holiday_country"),
        ({"holiday_subdivision": "ZZ"}, "holiday_subdivision"),
        ({"block_days": 0}, "block_days"),
        ({"handoff_time": "25:00"}, "handoff_time"),
    ],
)
def test_bad_rotation_fields_get_field_errors(manager_api, team, change, field):
    rotation, _ = team
    response = manager_api.patch(f"/api/rotations/{rotation.pk}/", change, format="json")
    assert response.status_code == 400
    assert field in response.json()
    rotation.refresh_from_db()
    assert (rotation.time_zone, rotation.holiday_country, rotation.block_days) == ("UTC", "US", 7)


def test_bad_orders_get_field_errors(manager_api, team):
    rotation, (a, b, *_) = team
    before = list(RotationMembership.objects.values_list("pk", "ends_on"))
    for order in ([a.user.username, a.user.username], ["no.body"]):
        response = manager_api.patch(f"/api/rotations/{rotation.pk}/", {"order": order}, format="json")
        assert response.status_code == 400
        assert "order" in response.json()
    b.active = False
    b.save()
    response = manager_api.patch(f"/api/rotations/{rotation.pk}/", {"order": [b.user.username]}, format="json")
    assert response.status_code == 400 and "order" in response.json()
    assert list(RotationMembership.objects.values_list("pk", "ends_on")) == before


def test_members_read_rotations_but_cannot_change_them(api, team):
    rotation, members = team
    assert api.get("/api/rotations/").status_code == 200
    response = api.patch(f"/api/rotations/{rotation.pk}/", {"order": usernames(members[::-1])}, format="json")
    assert response.status_code == 403
    assert api.post("/api/rotations/", {"name": "Mine"}, format="json").status_code == 403
    assert api.delete(f"/api/rotations/{rotation.pk}/").status_code == 403


def test_rotations_cannot_be_deleted_through_the_api(manager_api, team):
    rotation, _ = team
    assert manager_api.delete(f"/api/rotations/{rotation.pk}/").status_code == 405
    assert rotation.shifts.exists()


def test_rotations_query_count_is_flat(api, django_assert_max_num_queries):
    def orders(body) -> dict[int, list[str]]:
        return {r["id"]: r["order"] for r in body["results"]}

    rotation, members = team_rotation(2, until=date(2026, 11, 30))
    made = {rotation.pk: usernames(members)}
    with CaptureQueriesContext(connection) as few:
        body = api.get("/api/rotations/").json()
    assert orders(body) == made
    for _ in range(4):
        rotation, members = team_rotation(5, until=date(2026, 11, 30))
        made[rotation.pk] = usernames(members)
    with django_assert_max_num_queries(len(few)):
        body = api.get("/api/rotations/").json()
    assert sorted(len(r["order"]) for r in body["results"]) == [2, 5, 5, 5, 5]
    assert orders(body) == made


# --- who is on call ------------------------------------------------------------------------------


def test_on_call_now_gives_each_rotations_shift_and_next_handoff(api):
    ada, bob = TeamMemberFactory(name="Ada Lovelace"), TeamMemberFactory(name="Bob Dylan")
    rotation = RotationFactory(name="Data platform", time_zone="America/New_York")
    for day, holder in [(25, ada), (26, ada), (27, bob)]:
        ShiftFactory(rotation=rotation, member=holder, date=date(2026, 11, day))
    RotationFactory(name="Empty")
    body = api.get("/api/oncall/now/").json()
    assert [entry["rotation"]["name"] for entry in body] == ["Data platform", "Empty"]
    now, following = body[0]["now"], body[0]["next"]
    assert (now["member"], now["member_name"], now["kind"]) == (ada.user.username, "Ada Lovelace", "regular")
    # Local midnight in New York, in UTC like every time the API gives.
    assert now["start"] == "2026-11-25T05:00:00Z" and now["end"] == "2026-11-26T05:00:00Z"
    assert following["member"] == bob.user.username and following["start"] == "2026-11-27T05:00:00Z"
    assert body[1]["now"] is None and body[1]["next"] is None


# --- shifts --------------------------------------------------------------------------------------


def test_shifts_filter_by_dates_member_kind_and_rotation(api, team):
    rotation, (a, *_) = team
    other, _ = team_rotation(2, until=date(2026, 12, 31))
    body = api.get("/api/shifts/", {"start": "2026-12-01", "end": "2026-12-07", "rotation": rotation.pk}).json()
    assert [s["date"] for s in body["results"]] == [f"2026-12-0{d}" for d in range(1, 8)]
    assert set(body["results"][0]) == {
        "id",
        "rotation",
        "date",
        "start",
        "end",
        "member",
        "kind",
        "holiday_name",
        "traded",
        "warning",
    }
    mine = api.get("/api/shifts/", {"member": a.user.username, "rotation": rotation.pk}).json()
    assert mine["count"] == Shift.objects.filter(member=a).count() > 0
    assert {s["member"] for s in mine["results"]} == {a.user.username}
    holidays = api.get("/api/shifts/", {"kind": "holiday", "start": "2026-12-01", "end": "2026-12-31"}).json()
    assert {(s["holiday_name"], s["rotation"]) for s in holidays["results"]} == {
        ("Christmas Day", rotation.pk),
        ("Christmas Day", other.pk),
    }


def test_shifts_paginate_with_next_links(api, team):
    body = api.get("/api/shifts/").json()
    assert body["count"] == Shift.objects.count() > 50
    assert len(body["results"]) == 50 and body["next"].endswith("/api/shifts/?page=2")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"start": "notadate"}, "start"),
        ({"end": "2026-02-30"}, "end"),
        ({"kind": "weekly"}, "kind"),
        ({"member": "no.body"}, "member"),
        ({"rotation": "999999"}, "rotation"),
    ],
)
def test_bad_shift_filters_get_400_with_the_field(api, team, query, field):
    response = api.get("/api/shifts/", query)
    assert response.status_code == 400
    assert field in response.json()


def test_unknown_member_filter_names_the_username(api, team):
    response = api.get("/api/shifts/", {"member": "no.body"})
    assert response.json() == {"member": ["No member has the username “no.body”."]}


def test_shifts_query_count_is_flat(api, django_assert_max_num_queries):
    def listed(body) -> set[tuple[int, str, str]]:
        return {(s["rotation"], s["date"], s["member"]) for s in body["results"]}

    def stored() -> set[tuple[int, str, str]]:
        shifts = Shift.objects.select_related("member__user")
        return {(s.rotation_id, s.date.isoformat(), s.member.user.username) for s in shifts}

    team_rotation(2, until=date(2026, 11, 30))
    with CaptureQueriesContext(connection) as few:
        body = api.get("/api/shifts/").json()
    assert body["count"] == 6 and listed(body) == stored()  # today through the 30th
    team_rotation(6, until=date(2027, 3, 31))
    with django_assert_max_num_queries(len(few)):
        body = api.get("/api/shifts/").json()
    assert len({s["member"] for s in body["results"]}) > 2
    assert body["count"] == Shift.objects.count() and len(body["results"]) == 50 and listed(body) <= stored()


def test_shifts_are_read_only(manager_api, team):
    shift = Shift.objects.first()
    assert manager_api.patch(f"/api/shifts/{shift.pk}/", {"traded": True}, format="json").status_code == 405


# --- holidays ------------------------------------------------------------------------------------


def test_holidays_of_a_year_per_rotation(api, team):
    rotation, _ = team
    other = RotationFactory(name="Berlin", holiday_country="DE")
    body = api.get("/api/holidays/", {"year": 2027}).json()
    days = {(h["date"], h["name"], h["rotation"]) for h in body["results"]}
    assert ("2027-12-25", "Christmas Day", rotation.pk) in days
    assert ("2027-07-04", "Independence Day", rotation.pk) in days
    assert ("2027-10-03", "German Unity Day", other.pk) in days
    assert all(h["date"].startswith("2027-") for h in body["results"])


def test_holidays_default_to_this_year_and_reject_bad_years(api, team):
    body = api.get("/api/holidays/").json()
    assert body["results"] and all(h["date"].startswith("2026-") for h in body["results"])
    for year in ("next", "99999"):
        response = api.get("/api/holidays/", {"year": year})
        assert response.status_code == 400 and "year" in response.json()


def test_holidays_query_count_is_flat(api, django_assert_max_num_queries, team):
    rotation, _ = team
    with CaptureQueriesContext(connection) as few:
        body = api.get("/api/holidays/", {"year": 2027}).json()
    assert {h["rotation"] for h in body["results"]} == {rotation.pk}
    assert {"date": "2027-12-25", "name": "Christmas Day", "rotation": rotation.pk} in body["results"]
    german = RotationFactory.create_batch(3, holiday_country="DE")
    with django_assert_max_num_queries(len(few)):
        body = api.get("/api/holidays/", {"year": 2027}).json()
    assert {h["rotation"] for h in body["results"]} == {rotation.pk, *(other.pk for other in german)}
    for other in german:
        assert {"date": "2027-10-03", "name": "German Unity Day", "rotation": other.pk} in body["results"]


# --- offboarding ---------------------------------------------------------------------------------


def test_manager_offboards_a_member_with_a_successor(manager_api, team):
    rotation, (a, *_) = team
    successor = TeamMemberFactory()
    response = manager_api.post(
        f"/api/members/{a.pk}/offboard/", {"effective_date": "2027-01-04", "successor": successor.pk}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["left_on"] == "2027-01-04"
    assert not Shift.objects.filter(member=a, date__gte=date(2027, 1, 4)).exists()
    assert rotation.memberships.get(member=successor).position == 0


def test_offboarding_errors_are_400_with_the_field(manager_api, team):
    _, (a, b, *_) = team
    url = f"/api/members/{a.pk}/offboard/"
    response = manager_api.post(url, {"effective_date": "2026-01-01"}, format="json")
    assert response.status_code == 400 and "effective_date" in response.json()
    response = manager_api.post(url, {"effective_date": "2027-01-04", "successor": a.pk}, format="json")
    assert response.status_code == 400 and "successor" in response.json()
    response = manager_api.post(url, {"effective_date": "soon"}, format="json")
    assert response.status_code == 400 and "effective_date" in response.json()
    response = manager_api.post(url, {"effective_date": "2027-01-04", "successor": 999999}, format="json")
    assert response.status_code == 400 and "successor" in response.json()
    a.refresh_from_db()
    assert a.left_on is None
    assert manager_api.post(url, {"effective_date": "2027-01-04"}, format="json").status_code == 200
    response = manager_api.post(url, {"effective_date": "2027-01-04"}, format="json")
    assert response.status_code == 400 and "member" in response.json()


def test_only_managers_offboard(api, team):
    _, (a, *_) = team
    assert (
        api.post(f"/api/members/{a.pk}/offboard/", {"effective_date": "2027-01-04"}, format="json").status_code == 403
    )
    response = APIClient().post(f"/api/members/{a.pk}/offboard/", {"effective_date": "2027-01-04"}, format="json")
    assert response.status_code == 401
    a.refresh_from_db()
    assert a.left_on is None


def test_on_call_endpoints_refuse_anonymous_requests(team):
    client = APIClient()
    for path in ("/api/rotations/", "/api/oncall/now/", "/api/shifts/", "/api/holidays/"):
        assert client.get(path).status_code == 401, path


def test_a_member_whose_name_makes_no_username_is_refused_with_a_field_error(manager_api):
    response = manager_api.post("/api/members/", {"name": "\U000c2a67", "email": ""}, format="json")
    assert response.status_code == 400
    assert "username" in response.json()["name"][0]
