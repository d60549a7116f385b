"""Holiday trades: who may offer what, acceptance under locks, warnings, notifications."""

from datetime import UTC, date, datetime

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied

from oncall.choices import TradeStatus
from oncall.exceptions import TradeError, TradeNeedsConfirmation
from oncall.models import HolidayTrade, Notification, Rotation, Shift
from oncall.services import rotation_generate
from oncall.trades import (
    holiday_trade_accept,
    holiday_trade_cancel,
    holiday_trade_decline,
    holiday_trade_request,
    holiday_trades_expire,
)
from tests.conftest import NOW
from tests.oncall.factories import TeamMemberFactory, rotation_with
from tests.races import postgresql_only, race


def build_rotation():
    members = TeamMemberFactory.create_batch(4)
    return rotation_with(members, name="Team", generate_until=date(2030, 12, 31)), members


def holiday_of(member, year=2027, exclude=()):
    return (
        Shift.objects.filter(member=member, kind="holiday", date__year=year)
        .exclude(pk__in=exclude)
        .order_by("date")
        .first()
    )


@pytest.fixture
def team(db):
    return build_rotation()


def test_swap_request_and_accept_hands_both_shifts_over(team, django_capture_on_commit_callbacks):
    rotation, (a, b, *_) = team
    offered, wanted = holiday_of(a), holiday_of(b)
    with django_capture_on_commit_callbacks(execute=True):
        trade = holiday_trade_request(
            requester=a, shift=offered, counterparty=b, counterparty_shift=wanted, message="please", now=NOW
        )
    assert [m.to for m in mail.outbox] == [[b.email]]
    assert "offers you" in mail.outbox[0].subject
    with django_capture_on_commit_callbacks(execute=True):
        holiday_trade_accept(trade_id=trade.pk, member=b, now=NOW)
    offered.refresh_from_db()
    wanted.refresh_from_db()
    assert (offered.member, offered.traded) == (b, True)
    assert (wanted.member, wanted.traded) == (a, True)
    trade.refresh_from_db()
    assert trade.status == TradeStatus.ACCEPTED and trade.decided_at == NOW
    assert sorted(m.to[0] for m in mail.outbox[1:]) == sorted([a.email, b.email])


def test_give_away_moves_one_shift(team):
    rotation, (a, b, *_) = team
    offered = holiday_of(a)
    trade = holiday_trade_request(requester=a, shift=offered, counterparty=b, confirmed=True, now=NOW)
    holiday_trade_accept(trade_id=trade.pk, member=b, now=NOW)
    offered.refresh_from_db()
    assert offered.member == b and offered.traded


def test_accepted_trades_survive_regeneration_and_count_as_history(team):
    rotation, (a, b, *_) = team
    offered = holiday_of(a)
    trade = holiday_trade_request(requester=a, shift=offered, counterparty=b, now=NOW)
    holiday_trade_accept(trade_id=trade.pk, member=b, now=NOW)
    Rotation.objects.filter(pk=rotation.pk).update(plan_fingerprint="")
    rotation_generate(rotation_id=rotation.pk, until=date(2032, 12, 31), now=NOW)
    offered.refresh_from_db()
    assert offered.member == b and offered.traded
    later = Shift.objects.filter(holiday_name=offered.holiday_name, member=b, date__gt=offered.date)
    assert all(s.date.year - offered.date.year >= 4 or s.traded or s.warning for s in later)


@pytest.mark.parametrize("case", ["regular", "past", "not mine", "myself", "inactive", "their regular"])
def test_trade_request_refuses_what_cannot_be_traded(team, case):
    rotation, (a, b, c, _) = team
    shift, counterparty, counterparty_shift, field = holiday_of(a), b, None, "shift"
    if case == "regular":
        shift = Shift.objects.filter(member=a, kind="regular", date__gt=NOW.date()).first()
    elif case == "past":
        shift = Shift.objects.filter(member=a, kind="holiday").order_by("date").first()
        Shift.objects.filter(pk=shift.pk).update(
            start=datetime(2026, 1, 1, tzinfo=UTC), end=datetime(2026, 1, 2, tzinfo=UTC)
        )
    elif case == "not mine":
        shift = holiday_of(c)
    elif case == "myself":
        counterparty, field = a, "counterparty"
    elif case == "inactive":
        b.active = False
        b.save()
        field = "counterparty"
    elif case == "their regular":
        counterparty_shift, field = (
            Shift.objects.filter(member=b, kind="regular", date__gt=NOW.date()).first(),
            "counterparty_shift",
        )
    with pytest.raises(TradeError) as error:
        holiday_trade_request(
            requester=a, shift=shift, counterparty=counterparty, counterparty_shift=counterparty_shift, now=NOW
        )
    assert field in error.value.message_dict
    assert not HolidayTrade.objects.exists()


def test_one_pending_trade_per_shift(team):
    rotation, (a, b, c, _) = team
    offered = holiday_of(a)
    holiday_trade_request(requester=a, shift=offered, counterparty=b, now=NOW)
    with pytest.raises(TradeError) as error:
        holiday_trade_request(requester=a, shift=offered, counterparty=c, now=NOW)
    assert "pending" in error.value.message_dict["shift"][0]


def test_window_breaking_trade_needs_confirmation_and_keeps_its_warning(team):
    rotation, (a, b, *_) = team
    christmas_b = Shift.objects.filter(member=b, holiday_name="Christmas Day").order_by("date").first()
    christmas_a = (
        Shift.objects.filter(member=a, holiday_name="Christmas Day")
        .exclude(date__year=christmas_b.date.year)
        .order_by("date")
        .first()
    )
    assert christmas_a and christmas_b and abs(christmas_a.date.year - christmas_b.date.year) < 4
    with pytest.raises(TradeNeedsConfirmation) as needs:
        holiday_trade_request(requester=a, shift=christmas_a, counterparty=b, confirmed=False, now=NOW)
    assert b.name in needs.value.warning and "Christmas Day" in needs.value.warning
    assert not HolidayTrade.objects.exists()
    trade = holiday_trade_request(requester=a, shift=christmas_a, counterparty=b, confirmed=True, now=NOW)
    assert trade.warning == needs.value.warning
    holiday_trade_accept(trade_id=trade.pk, member=b, now=NOW)
    christmas_a.refresh_from_db()
    assert christmas_a.warning == trade.warning


def test_only_the_counterparty_answers_and_only_the_requester_cancels(team):
    rotation, (a, b, c, _) = team
    trade = holiday_trade_request(requester=a, shift=holiday_of(a), counterparty=b, now=NOW)
    for action in (holiday_trade_accept, holiday_trade_decline):
        for outsider in (a, c):
            with pytest.raises(PermissionDenied):
                action(trade_id=trade.pk, member=outsider, now=NOW)
    for outsider in (b, c):
        with pytest.raises(PermissionDenied):
            holiday_trade_cancel(trade_id=trade.pk, member=outsider, now=NOW)
    holiday_trade_decline(trade_id=trade.pk, member=b, now=NOW)
    with pytest.raises(TradeError):
        holiday_trade_accept(trade_id=trade.pk, member=b, now=NOW)
    with pytest.raises(TradeError):
        holiday_trade_cancel(trade_id=trade.pk, member=a, now=NOW)


def test_acceptance_rechecks_that_the_shifts_still_belong_to_those_people(team):
    rotation, (a, b, c, _) = team
    offered, wanted = holiday_of(a), holiday_of(b)
    trade = holiday_trade_request(requester=a, shift=offered, counterparty=b, counterparty_shift=wanted, now=NOW)
    Shift.objects.filter(pk=wanted.pk).update(member=c)
    with pytest.raises(TradeError) as error:
        holiday_trade_accept(trade_id=trade.pk, member=b, now=NOW)
    assert "counterparty_shift" in error.value.message_dict
    offered.refresh_from_db()
    assert offered.member == a and not offered.traded


def test_pending_trades_expire_when_their_shift_starts(team):
    rotation, (a, b, *_) = team
    offered = holiday_of(a)
    trade = holiday_trade_request(requester=a, shift=offered, counterparty=b, now=NOW)
    assert holiday_trades_expire(now=NOW) == 0
    assert holiday_trades_expire(now=offered.start) == 1
    trade.refresh_from_db()
    assert trade.status == TradeStatus.EXPIRED


def test_notifications_are_recorded_once_per_event(team, django_capture_on_commit_callbacks):
    rotation, (a, b, *_) = team
    with django_capture_on_commit_callbacks(execute=True):
        trade = holiday_trade_request(requester=a, shift=holiday_of(a), counterparty=b, now=NOW)
    from oncall.trades import _trade_notify

    with django_capture_on_commit_callbacks(execute=True):
        _trade_notify(trade, "requested", [b])  # a retried task
    assert Notification.objects.filter(kind="oncall.trade-requested").count() == 1
    assert len(mail.outbox) == 1


# --- races on real PostgreSQL -------------------------------------------------------------------


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_many_threads_accepting_one_trade_apply_it_once():
    rotation, (a, b, *_) = build_rotation()
    offered, wanted = holiday_of(a), holiday_of(b)
    trade = holiday_trade_request(requester=a, shift=offered, counterparty=b, counterparty_shift=wanted, now=NOW)
    outcomes = race([lambda: holiday_trade_accept(trade_id=trade.pk, member=b, now=NOW)] * 8)
    assert sum(isinstance(o, HolidayTrade) for o in outcomes) == 1
    assert all(isinstance(o, (HolidayTrade, TradeError)) for o in outcomes), outcomes
    offered.refresh_from_db()
    wanted.refresh_from_db()
    assert (offered.member, wanted.member) == (b, a)


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_two_trades_for_one_shift_accepted_at_once_apply_exactly_one():
    rotation, (a, b, c, _) = build_rotation()
    wanted = holiday_of(b)
    from_a = holiday_trade_request(requester=a, shift=holiday_of(a), counterparty=b, counterparty_shift=wanted, now=NOW)
    from_c = holiday_trade_request(requester=c, shift=holiday_of(c), counterparty=b, counterparty_shift=wanted, now=NOW)
    outcomes = race(
        [
            lambda: holiday_trade_accept(trade_id=from_a.pk, member=b, now=NOW),
            lambda: holiday_trade_accept(trade_id=from_c.pk, member=b, now=NOW),
        ]
    )
    winners = [o for o in outcomes if isinstance(o, HolidayTrade)]
    assert len(winners) == 1, outcomes
    assert all(isinstance(o, (HolidayTrade, TradeError)) for o in outcomes), outcomes
    wanted.refresh_from_db()
    assert wanted.member == winners[0].requested_by
    assert HolidayTrade.objects.filter(status=TradeStatus.ACCEPTED).count() == 1
    assert Shift.objects.filter(traded=True).count() == 2
