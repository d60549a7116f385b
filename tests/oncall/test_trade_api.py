"""Holiday trades API: who sees which trades, offering one, and who may accept, decline or cancel it."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from oncall.choices import TradeStatus
from oncall.models import HolidayTrade, Shift
from oncall.permissions import SERVICE_GROUP
from oncall.trades import holiday_trade_decline, holiday_trade_request
from tests.conftest import NOW
from tests.oncall.factories import TeamMemberFactory
from tests.oncall.test_trade_views import (
    holidays_of,
    quiet_swap,
    regular_shift_of,
    trading_team,
    window_breaking_give_away,
)

pytestmark = pytest.mark.django_db

FIELDS = {
    "id",
    "shift",
    "counterparty",
    "counterparty_shift",
    "requested_by",
    "status",
    "message",
    "warning",
    "created_at",
    "decided_at",
}


def api_as(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def team():
    return trading_team()


@pytest.fixture
def pending_swap(team):
    a, b, *_ = team
    offered, wanted = quiet_swap(a, b)
    return holiday_trade_request(requester=a, shift=offered, counterparty=b, counterparty_shift=wanted, now=NOW)


def staff_user():
    return get_user_model().objects.create_user("ops.admin", is_staff=True)


# --- reading -------------------------------------------------------------------------------------


def test_anonymous_requests_are_asked_for_credentials(pending_swap):
    anonymous = api_as(None)
    assert anonymous.get("/api/trades/").status_code == 401
    assert anonymous.get(f"/api/trades/{pending_swap.pk}/").status_code == 401
    assert anonymous.post("/api/trades/", {"shift": pending_swap.shift_id}).status_code == 401
    for action in ("accept", "decline", "cancel"):
        assert anonymous.post(f"/api/trades/{pending_swap.pk}/{action}/").status_code == 401, action
    pending_swap.refresh_from_db()
    assert pending_swap.status == TradeStatus.PENDING


def test_a_trade_has_exactly_the_documented_fields(team, pending_swap):
    a, b, *_ = team
    body = api_as(a.user).get(f"/api/trades/{pending_swap.pk}/").json()
    assert set(body) == FIELDS
    assert body["shift"] == pending_swap.shift_id and body["counterparty_shift"] == pending_swap.counterparty_shift_id
    assert (body["requested_by"], body["counterparty"]) == (a.user.username, b.user.username)
    assert (body["status"], body["warning"], body["decided_at"]) == ("pending", "", None)
    assert body["created_at"].startswith("2026-11-25T12:00:00")


def test_members_see_their_own_trades_and_managers_see_all(team, pending_swap):
    a, b, c, d = team
    other = holiday_trade_request(requester=c, shift=holidays_of(c).first(), counterparty=d, now=NOW)
    ids = {member: {t["id"] for t in api_as(member.user).get("/api/trades/").json()["results"]} for member in team}
    assert ids == {a: {pending_swap.pk}, b: {pending_swap.pk}, c: {other.pk}, d: {other.pk}}
    assert api_as(c.user).get(f"/api/trades/{pending_swap.pk}/").status_code == 404
    for boss in (TeamMemberFactory(is_manager=True).user, staff_user()):
        body = api_as(boss).get("/api/trades/").json()
        assert body["count"] == 2 and {t["id"] for t in body["results"]} == {pending_swap.pk, other.pk}


def test_trades_filter_by_status_and_paginate(team, pending_swap):
    a, b, *_ = team
    holiday_trade_decline(trade_id=pending_swap.pk, member=b, now=NOW)
    fresh = holiday_trade_request(requester=a, shift=pending_swap.shift, counterparty=b, now=NOW)
    body = api_as(a.user).get("/api/trades/", {"status": "pending"}).json()
    assert set(body) >= {"count", "next", "previous", "results"}
    assert [t["id"] for t in body["results"]] == [fresh.pk]


def test_trade_list_query_count_is_pinned(team, django_assert_num_queries):
    a, b, c, d = team
    offered, wanted = quiet_swap(a, b)
    trades = [holiday_trade_request(requester=a, shift=offered, counterparty=b, counterparty_shift=wanted, now=NOW)]
    manager_id = TeamMemberFactory(is_manager=True).user_id

    def manager_api() -> APIClient:
        # The user loaded afresh, as each real request does: nothing about them is cached yet.
        return api_as(get_user_model().objects.get(pk=manager_id))

    def listed(body) -> dict[int, tuple]:
        return {
            t["id"]: (t["shift"], t["requested_by"], t["counterparty"], t["counterparty_shift"])
            for t in body["results"]
        }

    def made() -> dict[int, tuple]:
        return {
            t.pk: (t.shift_id, t.requested_by.user.username, t.counterparty.user.username, t.counterparty_shift_id)
            for t in trades
        }

    # Their groups (a service account?), their member (a manager?), the page's count, the page.
    api = manager_api()
    with django_assert_num_queries(4):
        body = api.get("/api/trades/").json()
    assert body["count"] == 1 and listed(body) == made()
    for member in (c, d):
        for shift in holidays_of(member)[:3]:
            trades.append(holiday_trade_request(requester=member, shift=shift, counterparty=a, now=NOW))
    api = manager_api()
    with django_assert_num_queries(4):
        body = api.get("/api/trades/").json()
    assert body["count"] == 7 and listed(body) == made()
    api = api_as(get_user_model().objects.get(pk=a.user_id))
    with django_assert_num_queries(4):  # a member's own trades: the same queries, filtered
        body = api.get("/api/trades/").json()
    assert body["count"] == 7 and listed(body) == made()


# --- offering ------------------------------------------------------------------------------------


def test_member_offers_a_swap_and_is_always_the_requester(team):
    a, b, c, _ = team
    offered, wanted = quiet_swap(a, b)
    response = api_as(a.user).post(
        "/api/trades/",
        {
            "shift": offered.pk,
            "counterparty": b.user.username,
            "counterparty_shift": wanted.pk,
            "message": "Swap?",
            "requested_by": c.user.username,  # read-only: ignored
            "status": "accepted",  # read-only: ignored
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["requested_by"], body["counterparty"], body["status"]) == (a.user.username, b.user.username, "pending")
    assert (body["shift"], body["counterparty_shift"], body["message"], body["warning"]) == (
        offered.pk,
        wanted.pk,
        "Swap?",
        "",
    )
    trade = HolidayTrade.objects.get(pk=body["id"])
    assert (trade.requested_by, trade.counterparty_shift) == (a, wanted)


def test_give_away_has_a_null_counterparty_shift(team):
    a, b, *_ = team
    response = api_as(a.user).post(
        "/api/trades/", {"shift": holidays_of(a).first().pk, "counterparty": b.user.username}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["counterparty_shift"] is None
    assert HolidayTrade.objects.get().counterparty_shift is None


def test_window_breaking_trade_is_created_with_its_warning(team):
    christmas, holder = window_breaking_give_away()
    response = api_as(christmas.member.user).post(
        "/api/trades/", {"shift": christmas.pk, "counterparty": holder.user.username}, format="json"
    )
    assert response.status_code == 201, response.json()
    warning = response.json()["warning"]
    assert holder.name in warning and "Christmas Day" in warning and "window" in warning
    assert HolidayTrade.objects.get().warning == warning


def test_a_regular_shift_cannot_be_offered(team):
    a, b, *_ = team
    response = api_as(a.user).post(
        "/api/trades/", {"shift": regular_shift_of(a).pk, "counterparty": b.user.username}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"shift": ["Only holiday shifts can be traded; regular shifts follow the rotation."]}
    response = api_as(a.user).post(
        "/api/trades/",
        {
            "shift": holidays_of(a).first().pk,
            "counterparty": b.user.username,
            "counterparty_shift": regular_shift_of(b).pk,
        },
        format="json",
    )
    assert response.status_code == 400 and "Only holiday shifts" in response.json()["counterparty_shift"][0]
    assert not HolidayTrade.objects.exists()


def test_members_trade_only_their_own_shifts(team):
    a, b, c, _ = team
    response = api_as(a.user).post(
        "/api/trades/", {"shift": holidays_of(b).first().pk, "counterparty": c.user.username}, format="json"
    )
    assert response.status_code == 400 and "belongs to" in response.json()["shift"][0]
    assert not HolidayTrade.objects.exists()


def test_bad_offers_get_field_errors(team, pending_swap):
    a, b, c, _ = team
    api = api_as(a.user)
    cases = [
        ({"counterparty": b.user.username}, "shift"),
        ({"shift": 999999, "counterparty": b.user.username}, "shift"),
        ({"shift": holidays_of(a).last().pk, "counterparty": "no.body"}, "counterparty"),
        ({"shift": holidays_of(a).last().pk, "counterparty": a.user.username}, "counterparty"),
        ({"shift": pending_swap.shift_id, "counterparty": c.user.username}, "shift"),  # already offered
    ]
    for data, field in cases:
        response = api.post("/api/trades/", data, format="json")
        assert response.status_code == 400 and field in response.json(), (data, response.json())
    assert HolidayTrade.objects.count() == 1


def test_accounts_that_are_not_on_the_team_cannot_offer(team):
    a, b, *_ = team
    data = {"shift": holidays_of(a).first().pk, "counterparty": b.user.username}
    response = api_as(staff_user()).post("/api/trades/", data, format="json")
    assert response.status_code == 403 and "not on the team" in response.json()["detail"]
    pipeline = get_user_model().objects.create_user("airflow")
    pipeline.groups.add(Group.objects.create(name=SERVICE_GROUP))
    assert api_as(pipeline).post("/api/trades/", data, format="json").status_code == 403
    assert api_as(pipeline).get("/api/trades/").status_code == 403
    assert not HolidayTrade.objects.exists()


# --- answering -----------------------------------------------------------------------------------

PERMISSIONS = {
    "accept": {"requester": 403, "counterparty": 200, "third member": 403, "manager": 403, "staff": 403},
    "decline": {"requester": 403, "counterparty": 200, "third member": 403, "manager": 403, "staff": 403},
    "cancel": {"requester": 200, "counterparty": 403, "third member": 403, "manager": 403, "staff": 403},
}
OUTCOME = {"accept": "accepted", "decline": "declined", "cancel": "cancelled"}


@pytest.mark.parametrize(
    ("action", "role"), [(action, role) for action, roles in PERMISSIONS.items() for role in roles]
)
def test_trade_actions_are_personal(team, pending_swap, action, role):
    a, b, c, _ = team
    person = {
        "requester": a.user,
        "counterparty": b.user,
        "third member": c.user,
        "manager": TeamMemberFactory(is_manager=True).user,
        "staff": staff_user(),
    }
    response = api_as(person[role]).post(f"/api/trades/{pending_swap.pk}/{action}/")
    assert response.status_code == PERMISSIONS[action][role], response.json()
    pending_swap.refresh_from_db()
    if response.status_code == 200:
        assert response.json()["status"] == OUTCOME[action] == pending_swap.status
        assert response.json()["decided_at"] is not None
    else:
        assert pending_swap.status == TradeStatus.PENDING
        assert response.json()["detail"]


def test_accepting_swaps_the_shifts(team, pending_swap):
    a, b, *_ = team
    response = api_as(b.user).post(f"/api/trades/{pending_swap.pk}/accept/")
    assert response.status_code == 200
    offered, wanted = (
        Shift.objects.get(pk=pending_swap.shift_id),
        Shift.objects.get(pk=pending_swap.counterparty_shift_id),
    )
    assert (offered.member, offered.traded, wanted.member, wanted.traded) == (b, True, a, True)
    body = api_as(a.user).get("/api/shifts/", {"member": a.user.username, "kind": "holiday"}).json()
    assert {"id": wanted.pk, "traded": True} in [{"id": s["id"], "traded": s["traded"]} for s in body["results"]]


def test_answering_a_decided_trade_is_400_with_the_reason(team, pending_swap):
    a, b, *_ = team
    assert api_as(b.user).post(f"/api/trades/{pending_swap.pk}/decline/").status_code == 200
    response = api_as(b.user).post(f"/api/trades/{pending_swap.pk}/accept/")
    assert response.status_code == 400 and response.json() == {"status": ["This trade is already declined."]}
    response = api_as(a.user).post(f"/api/trades/{pending_swap.pk}/cancel/")
    assert response.status_code == 400 and "already declined" in response.json()["status"][0]


def test_unknown_trades_are_404(team):
    assert api_as(team[0].user).post("/api/trades/999999/accept/").status_code == 404


def test_trade_actions_are_post_only(team, pending_swap):
    assert api_as(team[1].user).get(f"/api/trades/{pending_swap.pk}/accept/").status_code == 405
    assert api_as(team[0].user).delete(f"/api/trades/{pending_swap.pk}/").status_code == 405
