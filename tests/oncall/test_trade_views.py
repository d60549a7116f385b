"""Holiday trade pages: the list with its answers, the offer form and its confirmation step, who may do what."""

import re
from datetime import UTC, date, datetime

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape

from oncall.choices import TradeStatus
from oncall.models import HolidayTrade, Shift, TeamMember
from oncall.trades import holiday_trade_accept, holiday_trade_decline, holiday_trade_request
from tests.conftest import NOW
from tests.oncall.factories import TeamMemberFactory, rotation_with

pytestmark = pytest.mark.django_db

ACTIONS = ("accept", "decline", "cancel")


def trading_team(size: int = 4) -> list[TeamMember]:
    """A rotation planned through 2027: holidays from Thanksgiving 2026 on, each member holding some."""
    members = TeamMemberFactory.create_batch(size)
    rotation_with(members, name="Team", generate_until=date(2027, 12, 31))
    return members


def holidays_of(member: TeamMember):
    return Shift.objects.filter(member=member, kind="holiday", start__gt=NOW).order_by("date")


def quiet_swap(a: TeamMember, b: TeamMember) -> tuple[Shift, Shift]:
    """A holiday of `a` and one of `b` whose swap keeps both within the holiday window: no warning."""
    for offered in holidays_of(a):
        for wanted in holidays_of(b):
            if not (
                Shift.objects.filter(member=a, holiday_name=wanted.holiday_name).exists()
                or Shift.objects.filter(member=b, holiday_name=offered.holiday_name).exists()
            ):
                return offered, wanted
    raise AssertionError("no swap without a warning in this plan")


def window_breaking_give_away() -> tuple[Shift, TeamMember]:
    """Christmas 2027 given to whoever holds Christmas 2026: they would hold it two years running."""
    christmas_2027 = Shift.objects.get(holiday_name="Christmas Day", date__year=2027)
    return christmas_2027, Shift.objects.get(holiday_name="Christmas Day", date__year=2026).member


def regular_shift_of(member: TeamMember) -> Shift:
    return Shift.objects.filter(member=member, kind="regular", start__gt=NOW).order_by("date").first()


@pytest.fixture
def team():
    return trading_team()


@pytest.fixture
def pending_swap(team):
    a, b, *_ = team
    offered, wanted = quiet_swap(a, b)
    return holiday_trade_request(requester=a, shift=offered, counterparty=b, counterparty_shift=wanted, now=NOW)


def staff_user():
    return get_user_model().objects.create_user("ops.admin", password="pass-word-123", is_staff=True)


def option_values(html: str, name: str) -> list[str]:
    select = re.search(rf'<select name="{name}".*?</select>', html, flags=re.S).group()
    return re.findall(r'<option value="([^"]*)"', select)


def selected_value(html: str, name: str) -> str | None:
    select = re.search(rf'<select name="{name}".*?</select>', html, flags=re.S).group()
    match = re.search(r'<option value="([^"]*)"[^>]*selected', select)
    return match and match[1]


# --- who may do what -----------------------------------------------------------------------------


def test_trade_pages_send_anonymous_users_to_sign_in(client, pending_swap):
    for path in ("/trades/", "/trades/new/"):
        response = client.get(path)
        assert response.status_code == 302 and response.url.startswith("/accounts/login/"), path
    for action in ACTIONS:
        response = client.post(f"/trades/{pending_swap.pk}/{action}/")
        assert response.status_code == 302 and response.url.startswith("/accounts/login/"), action
    assert client.post("/trades/new/", {"shift": pending_swap.shift_id}).status_code == 302
    pending_swap.refresh_from_db()
    assert pending_swap.status == TradeStatus.PENDING


# Who may do each action: the counterparty answers, the requester withdraws; nobody else, managers included.
PERMISSIONS = {
    "accept": {"requester": 403, "counterparty": 302, "third member": 403, "manager": 403},
    "decline": {"requester": 403, "counterparty": 302, "third member": 403, "manager": 403},
    "cancel": {"requester": 302, "counterparty": 403, "third member": 403, "manager": 403},
}
OUTCOME = {"accept": TradeStatus.ACCEPTED, "decline": TradeStatus.DECLINED, "cancel": TradeStatus.CANCELLED}


@pytest.mark.parametrize(
    ("action", "role"), [(action, role) for action, roles in PERMISSIONS.items() for role in roles]
)
def test_trade_actions_on_the_page_are_personal(client, team, pending_swap, action, role):
    a, b, c, _ = team
    person = {"requester": a, "counterparty": b, "third member": c, "manager": TeamMemberFactory(is_manager=True)}
    client.force_login(person[role].user)
    response = client.post(f"/trades/{pending_swap.pk}/{action}/")
    assert response.status_code == PERMISSIONS[action][role]
    pending_swap.refresh_from_db()
    if response.status_code == 302:
        assert response.url == "/trades/"
        assert pending_swap.status == OUTCOME[action]
    else:
        assert pending_swap.status == TradeStatus.PENDING
        assert not Shift.objects.filter(traded=True).exists()


def test_trade_actions_take_no_get(client, team, pending_swap):
    client.force_login(team[1].user)
    assert client.get(f"/trades/{pending_swap.pk}/accept/").status_code == 405
    pending_swap.refresh_from_db()
    assert pending_swap.status == TradeStatus.PENDING


def test_trade_action_on_an_unknown_trade_is_404(client, team):
    client.force_login(team[0].user)
    assert client.post("/trades/999999/accept/").status_code == 404


def test_account_without_a_team_member_gets_a_friendly_page(client, pending_swap):
    client.force_login(staff_user())
    for path in ("/trades/", "/trades/new/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "This account is not on the team" in response.content.decode()
    assert client.post("/trades/new/", {"shift": pending_swap.shift_id}).status_code == 403
    assert client.post(f"/trades/{pending_swap.pk}/accept/").status_code == 403
    pending_swap.refresh_from_db()
    assert pending_swap.status == TradeStatus.PENDING


# --- the list ------------------------------------------------------------------------------------


def test_counterparty_sees_the_offer_with_accept_and_decline(client, team, pending_swap):
    a, b, *_ = team
    client.force_login(b.user)
    response = client.get("/trades/")
    html = response.content.decode()
    assert response.context["incoming"] == [pending_swap] and response.context["outgoing"] == []
    assert f'action="/trades/{pending_swap.pk}/accept/"' in html
    assert f'action="/trades/{pending_swap.pk}/decline/"' in html
    assert f'action="/trades/{pending_swap.pk}/cancel/"' not in html
    assert escape(pending_swap.shift.holiday_name) in html and a.name in html
    assert escape(pending_swap.counterparty_shift.holiday_name) in html


def test_requester_sees_the_open_offer_with_withdraw_only(client, team, pending_swap):
    a, b, *_ = team
    client.force_login(a.user)
    response = client.get("/trades/")
    html = response.content.decode()
    assert response.context["outgoing"] == [pending_swap] and response.context["incoming"] == []
    assert f'action="/trades/{pending_swap.pk}/cancel/"' in html
    assert f'action="/trades/{pending_swap.pk}/accept/"' not in html
    assert "Pending" in html and b.name in html


def test_third_member_sees_nothing_of_other_peoples_trades(client, team, pending_swap):
    client.force_login(team[2].user)
    response = client.get("/trades/")
    assert response.context["incoming"] == response.context["outgoing"] == response.context["history"] == []
    assert f"/trades/{pending_swap.pk}/" not in response.content.decode()


def test_accepting_hands_the_shifts_over_and_says_so(client, team, pending_swap):
    a, b, *_ = team
    client.force_login(b.user)
    response = client.post(f"/trades/{pending_swap.pk}/accept/", follow=True)
    html = response.content.decode()
    assert f"Trade done: you hold {escape(pending_swap.shift.holiday_name)}" in html
    offered, wanted = (
        Shift.objects.get(pk=pending_swap.shift_id),
        Shift.objects.get(pk=pending_swap.counterparty_shift_id),
    )
    assert (offered.member, offered.traded, wanted.member, wanted.traded) == (b, True, a, True)
    assert response.context["history"] == [pending_swap] and response.context["incoming"] == []
    assert '<span class="badge trade-status trade-status-accepted good">Accepted</span>' in html


def test_answering_a_decided_trade_says_why(client, team, pending_swap):
    a, b, *_ = team
    holiday_trade_decline(trade_id=pending_swap.pk, member=b, now=NOW)
    client.force_login(b.user)
    response = client.post(f"/trades/{pending_swap.pk}/accept/", follow=True)
    assert response.redirect_chain == [("/trades/", 302)]
    assert "This trade is already declined." in response.content.decode()
    assert not Shift.objects.filter(traded=True).exists()


def test_withdrawing_says_so_and_moves_the_offer_to_the_history(client, team, pending_swap):
    a, b, *_ = team
    client.force_login(a.user)
    response = client.post(f"/trades/{pending_swap.pk}/cancel/", follow=True)
    html = response.content.decode()
    assert f"You withdrew your offer of {escape(pending_swap.shift.holiday_name)}" in html and b.name in html
    assert response.context["outgoing"] == [] and response.context["history"] == [pending_swap]


def test_history_lists_decided_trades_newest_first_with_their_warning(client, team, monkeypatch):
    a, b, c, d = team
    offered, wanted = quiet_swap(a, b)
    declined = holiday_trade_request(requester=a, shift=offered, counterparty=b, counterparty_shift=wanted, now=NOW)
    holiday_trade_decline(trade_id=declined.pk, member=b, now=datetime(2026, 11, 25, 13, tzinfo=UTC))
    christmas, holder = window_breaking_give_away()
    giver = christmas.member
    warned = holiday_trade_request(requester=giver, shift=christmas, counterparty=holder, now=NOW)
    holiday_trade_accept(trade_id=warned.pk, member=holder, now=datetime(2026, 11, 25, 14, tzinfo=UTC))
    pending = holiday_trade_request(requester=a, shift=holidays_of(a).last(), counterparty=c, now=NOW)

    client.force_login(a.user)
    history = client.get("/trades/").context["history"]
    assert pending not in history and declined in history
    client.force_login(holder.user)
    response = client.get("/trades/")
    html = response.content.decode()
    mine = [trade for trade in [warned, declined] if holder.pk in (trade.requested_by_id, trade.counterparty_id)]
    assert response.context["history"] == mine  # newest decision first
    assert warned.warning and escape(warned.warning) in html
    assert "Christmas Day" in html and "as a give-away" in html and "Accepted" in html


def trade_row(html: str, trade: HolidayTrade) -> str:
    """The trade's row on the trades page."""
    match = re.search(rf'<tr id="trade-{trade.pk}">.*?</tr>', html, re.S)
    assert match, f"no row for trade {trade.pk}"
    return match[0]


def shows(row: str, *people: TeamMember, shift: Shift, status: str = "") -> bool:
    """Whether the row names the people, the shift's holiday and day, and the status."""
    holiday = f'<strong>{escape(shift.holiday_name)}</strong>, <time datetime="{shift.date:%Y-%m-%d}">'
    return all(person.name in row for person in people) and holiday in row and status in row


def test_trade_list_query_count_is_flat(client, team, django_assert_max_num_queries):
    a, b, c, d = team
    offered, wanted = quiet_swap(a, b)
    swap = holiday_trade_request(requester=a, shift=offered, counterparty=b, counterparty_shift=wanted, now=NOW)
    client.force_login(a.user)
    with CaptureQueriesContext(connection) as few:
        html = client.get("/trades/").content.decode()
    assert shows(trade_row(html, swap), b, shift=offered, status="Pending")
    declined, pending = [], []
    for other in (c, d):
        for shift in holidays_of(other)[:2]:
            trade = holiday_trade_request(requester=other, shift=shift, counterparty=a, now=NOW)
            holiday_trade_decline(trade_id=trade.pk, member=a, now=NOW)
            declined.append(trade)
        pending.append(holiday_trade_request(requester=other, shift=holidays_of(other)[2], counterparty=a, now=NOW))
    with django_assert_max_num_queries(len(few)):
        response = client.get("/trades/")
    assert len(response.context["history"]) == 4 and len(response.context["incoming"]) == 2
    html = response.content.decode()
    assert shows(trade_row(html, swap), b, shift=offered, status="Pending")
    assert all(shows(trade_row(html, t), t.requested_by, shift=t.shift) for t in pending)
    assert all(shows(trade_row(html, t), t.requested_by, shift=t.shift, status="Declined") for t in declined)


def test_nav_links_to_the_trades_page(client, team):
    client.force_login(team[0].user)
    html = client.get("/trades/").content.decode()
    assert '<a href="/trades/" aria-current="page">Trades</a>' in html
    assert '<a href="/trades/">Trades</a>' in client.get("/oncall/").content.decode()


# --- the offer form ------------------------------------------------------------------------------


def test_form_offers_only_my_future_holidays_and_active_colleagues(client, team):
    a, b, c, d = team
    d.active = False
    d.save()
    Shift.objects.filter(pk=holidays_of(a).first().pk).update(
        start=datetime(2026, 11, 25, 0, tzinfo=UTC), end=datetime(2026, 11, 26, tzinfo=UTC)
    )  # started this morning: too late to trade
    client.force_login(a.user)
    html = client.get("/trades/new/").content.decode()
    mine = {str(pk) for pk in holidays_of(a).values_list("pk", flat=True)}
    assert mine and set(option_values(html, "shift")) == {""} | mine
    assert option_values(html, "counterparty") == ["", *(m.user.username for m in sorted([b, c], key=lambda m: m.name))]
    assert option_values(html, "counterparty_shift") == [""]  # nobody chosen yet: only "give it away"
    assert "None: give it away" in html
    assert '<label for="id_shift">Your holiday shift' in html and 'aria-describedby="id_shift_helptext"' in html


def test_form_says_so_when_i_hold_no_future_holiday(client, team):
    client.force_login(TeamMemberFactory().user)  # on the team, not in the rotation
    response = client.get("/trades/new/")
    html = response.content.decode()
    assert response.status_code == 200 and "nothing to offer" in html
    assert "data-trade-form" not in html


def test_form_without_javascript_shows_the_colleagues_holidays_first(client, team):
    a, b, *_ = team
    offered, wanted = quiet_swap(a, b)
    client.force_login(a.user)
    step = {"shift": offered.pk, "counterparty": b.user.username, "message": "Swap?", "step": "colleague"}
    response = client.post("/trades/new/", step)
    html = response.content.decode()
    assert response.status_code == 200 and not HolidayTrade.objects.exists()
    assert 'aria-invalid="true"' not in html and "errorlist" not in html  # a step, not a failed submit
    theirs = {str(pk) for pk in holidays_of(b).values_list("pk", flat=True)}
    assert set(option_values(html, "counterparty_shift")) == {""} | theirs
    assert selected_value(html, "shift") == str(offered.pk)
    assert selected_value(html, "counterparty") == b.user.username
    assert "Swap?</textarea>" in html
    response = client.post("/trades/new/", {**step, "counterparty_shift": wanted.pk, "step": "send"})
    assert response.status_code == 302 and response.url == "/trades/"
    trade = HolidayTrade.objects.get()
    assert (trade.requested_by, trade.shift, trade.counterparty, trade.counterparty_shift) == (a, offered, b, wanted)
    assert (trade.message, trade.warning, trade.status) == ("Swap?", "", TradeStatus.PENDING)
    assert f"went to {b.name}" in client.get("/trades/").content.decode()


def test_form_gives_a_holiday_away_in_one_step(client, team):
    a, b, *_ = team
    offered, _ = quiet_swap(a, b)
    client.force_login(a.user)
    response = client.post("/trades/new/", {"shift": offered.pk, "counterparty": b.user.username, "step": "send"})
    assert response.status_code == 302
    trade = HolidayTrade.objects.get()
    assert trade.counterparty_shift is None and trade.counterparty == b


def test_link_from_the_calendar_picks_the_shift(client, team):
    a, *_ = team
    offered = holidays_of(a).first()
    client.force_login(a.user)
    assert f'href="/trades/new/?shift={offered.pk}"' in client.get("/oncall/", {"month": "2026-11"}).content.decode()
    html = client.get("/trades/new/", {"shift": offered.pk}).content.decode()
    assert selected_value(html, "shift") == str(offered.pk)


def test_form_refuses_a_regular_shift_next_to_the_field(client, team):
    a, b, *_ = team
    client.force_login(a.user)
    data = {"shift": regular_shift_of(a).pk, "counterparty": b.user.username, "message": "Keep me", "step": "send"}
    response = client.post("/trades/new/", data)
    html = response.content.decode()
    assert response.status_code == 200 and not HolidayTrade.objects.exists()
    assert response.context["form"].errors["shift"] == [
        "Only holiday shifts can be traded; regular shifts follow the rotation."
    ]
    assert '<ul class="errorlist" id="id_shift_error">' in html
    assert re.search(r'<select name="shift"[^>]*aria-describedby="[^"]*id_shift_error', html)
    assert "Keep me</textarea>" in html and selected_value(html, "counterparty") == b.user.username


def test_form_puts_each_service_error_next_to_its_field(client, team):
    a, b, c, _ = team
    client.force_login(a.user)
    offered = holidays_of(a).first()
    cases = [
        ({"shift": holidays_of(b).first().pk, "counterparty": c.user.username}, "shift", "belongs to"),
        ({"shift": offered.pk, "counterparty": a.user.username}, "counterparty", "not yourself"),
        (
            {"shift": offered.pk, "counterparty": b.user.username, "counterparty_shift": holidays_of(c).first().pk},
            "counterparty_shift",
            "belongs to",
        ),
        (
            {"shift": offered.pk, "counterparty": b.user.username, "counterparty_shift": regular_shift_of(b).pk},
            "counterparty_shift",
            "Only holiday shifts",
        ),
        ({"counterparty": b.user.username}, "shift", "This field is required."),
    ]
    for data, field, words in cases:
        form = client.post("/trades/new/", {**data, "step": "send"}).context["form"]
        assert words in " ".join(form.errors.get(field, [])), (data, form.errors)
    assert not HolidayTrade.objects.exists()


def test_form_says_when_a_shift_is_already_offered(client, team, pending_swap):
    a, b, c, _ = team
    client.force_login(a.user)
    response = client.post(
        "/trades/new/", {"shift": pending_swap.shift_id, "counterparty": c.user.username, "step": "send"}
    )
    assert "already offered in a pending trade" in response.context["form"].errors["shift"][0]
    assert HolidayTrade.objects.count() == 1


def test_window_breaking_trade_asks_for_confirmation_before_sending(client, team):
    christmas, holder = window_breaking_give_away()
    giver = christmas.member
    client.force_login(giver.user)
    data = {"shift": christmas.pk, "counterparty": holder.user.username, "message": "Merry", "step": "send"}

    response = client.post("/trades/new/", data)
    html = response.content.decode()
    form = response.context["form"]
    assert response.status_code == 200 and not HolidayTrade.objects.exists()
    assert holder.name in form.warning and "Christmas Day" in form.warning
    assert '<p id="trade-warning" class="warning-text">' in html and escape(form.warning) in html
    assert 'role="alert"' in html and "This trade breaks the holiday window" in html
    checkbox = re.search(r'<input type="checkbox" name="confirm"[^>]*>', html).group()
    assert "required" in checkbox and 'aria-describedby="trade-warning"' in checkbox
    assert '<label for="id_confirm">I understand, send it anyway</label>' in html
    assert "Merry</textarea>" in html and selected_value(html, "shift") == str(christmas.pk)
    confirmed_for = re.search(r'name="confirmed_for" value="([^"]+)"', html)[1]

    # Sent again without ticking the box: still not sent, and the box says why.
    response = client.post("/trades/new/", {**data, "confirmed_for": confirmed_for})
    assert "Tick this box" in response.context["form"].errors["confirm"][0]
    assert not HolidayTrade.objects.exists()

    response = client.post("/trades/new/", {**data, "confirmed_for": confirmed_for, "confirm": "on"})
    assert response.status_code == 302 and response.url == "/trades/"
    trade = HolidayTrade.objects.get()
    assert trade.warning == form.warning and trade.counterparty == holder
    assert escape(trade.warning) in client.get("/trades/").content.decode()


def test_confirmation_given_for_another_trade_does_not_send_this_one(client, team):
    christmas, holder = window_breaking_give_away()
    client.force_login(christmas.member.user)
    # The box was ticked for an earlier version of the trade (another colleague), then the trade was changed.
    stale = f"{christmas.pk}:{christmas.member.user.username}:"
    data = {"shift": christmas.pk, "counterparty": holder.user.username, "confirmed_for": stale, "confirm": "on"}
    response = client.post("/trades/new/", {**data, "step": "send"})
    html = response.content.decode()
    assert "You changed the trade" in response.context["form"].errors["confirm"][0]
    assert not HolidayTrade.objects.exists()
    checkbox = re.search(r'<input type="checkbox" name="confirm"[^>]*>', html).group()
    assert "checked" not in checkbox and "id_confirm_error" in checkbox
    confirmed_for = re.search(r'name="confirmed_for" value="([^"]+)"', html)[1]
    response = client.post("/trades/new/", {**data, "confirmed_for": confirmed_for, "step": "send"})
    assert response.status_code == 302 and HolidayTrade.objects.get().warning


# --- traded shifts elsewhere ---------------------------------------------------------------------


def test_calendar_and_matrix_mark_my_traded_shift_and_link_it_to_my_history(client, team, pending_swap):
    a, b, *_ = team
    holiday_trade_accept(trade_id=pending_swap.pk, member=b, now=NOW)
    wanted = Shift.objects.get(pk=pending_swap.counterparty_shift_id)
    client.force_login(a.user)
    month = f"{wanted.date:%Y-%m}"
    html = client.get("/oncall/", {"month": month, "member": a.user.username}).content.decode()
    link = '<a class="trade-link" href="/trades/#history"><span class="badge">traded</span>'
    assert link in html
    html = client.get("/oncall/holidays/").content.decode()
    assert link in html
    client.force_login(team[2].user)  # someone else's traded shift is marked, without a link to a history of theirs
    html = client.get("/oncall/", {"month": month}).content.decode()
    assert '<span class="badge">traded</span>' in html and link not in html
