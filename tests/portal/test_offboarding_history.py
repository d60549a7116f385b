"""Offboarding keeps every history row: trades of every status, holiday records, notifications, incidents,
notes, communications and past shifts; traded shifts are never planned again."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from incidents.communications import communication_log
from incidents.models import Communication, Incident, IncidentNote
from incidents.services import incident_note_add
from oncall.choices import TradeStatus
from oncall.models import HolidayRecord, HolidayTrade, Notification, RotationMembership, Shift
from oncall.services import member_offboard
from oncall.trades import holiday_trade_accept, holiday_trade_cancel, holiday_trade_decline, holiday_trade_request
from tests.conftest import NOW
from tests.incidents.factories import IncidentFactory
from tests.oncall.factories import TeamMemberFactory, rotation_with
from tests.oncall.test_trade_views import holidays_of

pytestmark = pytest.mark.django_db

EFFECTIVE = date(2027, 1, 4)
HISTORY = [HolidayTrade, HolidayRecord, Notification, Incident, IncidentNote, Communication]


def history_counts() -> dict[str, int]:
    counts = {model.__name__: model.objects.count() for model in HISTORY}
    counts["Shift before the effective date"] = Shift.objects.filter(date__lt=EFFECTIVE).count()
    counts["Shift"] = Shift.objects.count()
    counts["RotationMembership"] = RotationMembership.objects.count()
    return counts


def later_holiday(member, skip=0):
    return holidays_of(member).filter(date__gte=EFFECTIVE)[skip]


@pytest.fixture
def leaver_with_history():
    """A leaver with trades of every status on both sides, a holiday record, mail, an incident, a note and a message."""
    leaver, b, c, d = members = TeamMemberFactory.create_batch(4)
    rotation_with(members, name="Team", generate_until=date(2028, 12, 31))
    # Accepted: the leaver gives a later holiday to b (b holds it now, traded).
    given = holiday_trade_request(requester=leaver, shift=later_holiday(leaver), counterparty=b, now=NOW)
    holiday_trade_accept(trade_id=given.pk, member=b, now=NOW)
    # Cancelled and declined trades about the leaver's own later holidays.
    cancelled = holiday_trade_request(requester=leaver, shift=later_holiday(leaver), counterparty=c, now=NOW)
    holiday_trade_cancel(trade_id=cancelled.pk, member=leaver, now=NOW)
    declined = holiday_trade_request(requester=c, shift=later_holiday(c), counterparty=leaver, now=NOW)
    holiday_trade_decline(trade_id=declined.pk, member=leaver, now=NOW)
    # Pending: the leaver offers another later holiday to d.
    holiday_trade_request(requester=leaver, shift=later_holiday(leaver, 1), counterparty=d, now=NOW)
    HolidayRecord.objects.create(date=date(2025, 12, 25), holiday_name="Christmas Day", member=leaver)
    incident = IncidentFactory(assignee=leaver, opened_by=leaver)
    incident_note_add(incident=incident, author=leaver, text="Looking.", now=NOW)
    communication_log(
        pipeline=incident.pipeline, incident=incident, audience="Profit team", message="Late.", channel="email",
        sent_by=leaver, sent_at=NOW,
    )  # fmt: skip
    return leaver, b, c, d


def received_trade(giver, receiver):
    """`giver` gives `receiver` a later holiday, accepted: `receiver` holds a traded shift after the effective date."""
    trade = holiday_trade_request(requester=giver, shift=later_holiday(giver, 2), counterparty=receiver, now=NOW)
    holiday_trade_accept(trade_id=trade.pk, member=receiver, now=NOW)
    return Shift.objects.get(pk=trade.shift_id)


def test_offboarding_with_a_successor_keeps_every_history_row(leaver_with_history):
    leaver, b, c, d = leaver_with_history
    traded = received_trade(c, leaver)
    before = history_counts()
    statuses = dict(HolidayTrade.objects.values_list("pk", "status"))
    successor = TeamMemberFactory()

    member_offboard(member=leaver, effective_date=EFFECTIVE, successor=successor, now=NOW)

    after = history_counts()
    assert after | {"RotationMembership": before["RotationMembership"]} == before
    assert after["RotationMembership"] == before["RotationMembership"] + 1  # the successor's place
    traded.refresh_from_db()
    assert traded.traded and traded.member == successor
    # Only the pending offer that can no longer happen is closed; its row stays.
    closed = {pk for pk, status in HolidayTrade.objects.values_list("pk", "status") if statuses[pk] != status}
    assert [HolidayTrade.objects.get(pk=pk).status for pk in closed] == [TradeStatus.CANCELLED]
    assert not HolidayTrade.objects.filter(status=TradeStatus.PENDING).exists()


def test_offboarding_without_a_successor_keeps_every_history_row_and_replans_only_untraded_shifts(
    leaver_with_history,
):
    leaver, b, c, d = leaver_with_history
    traded_elsewhere = received_trade(c, d)
    given_away = Shift.objects.get(
        pk=HolidayTrade.objects.get(status=TradeStatus.ACCEPTED, requested_by=leaver).shift_id
    )
    before = history_counts()

    member_offboard(member=leaver, effective_date=EFFECTIVE, now=NOW)

    assert history_counts() == before
    assert not Shift.objects.filter(member=leaver, date__gte=EFFECTIVE).exists()
    for shift, holder in ((traded_elsewhere, d), (given_away, b)):
        shift.refresh_from_db()
        assert shift.traded and shift.member == holder
    assert set(HolidayTrade.objects.values_list("status", flat=True)) == {
        TradeStatus.ACCEPTED, TradeStatus.CANCELLED, TradeStatus.DECLINED,
    }  # fmt: skip


def test_offboarding_without_a_successor_refuses_while_the_leaver_holds_a_traded_shift(leaver_with_history):
    leaver, b, c, d = leaver_with_history
    traded = received_trade(c, leaver)
    before = history_counts()
    with pytest.raises(ValidationError) as refused:
        member_offboard(member=leaver, effective_date=EFFECTIVE, now=NOW)
    assert "successor" in refused.value.message_dict
    assert f"{traded.date:%-d %B %Y}" in refused.value.message_dict["successor"][0]
    assert history_counts() == before
    traded.refresh_from_db()
    assert traded.member == leaver
