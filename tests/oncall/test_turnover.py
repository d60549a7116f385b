"""Offboarding: the successor inherits position, shifts and holiday history; without one the blocks close."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from oncall.models import HolidayRecord, Shift
from oncall.services import holiday_history, member_offboard
from tests.conftest import NOW
from tests.oncall.factories import TeamMemberFactory, rotation_with

pytestmark = pytest.mark.django_db

EFFECTIVE = date(2027, 1, 4)


@pytest.fixture
def rotation():
    return rotation_with(TeamMemberFactory.create_batch(4), name="Team", generate_until=date(2028, 12, 31))


def shifts_by_day(rotation):
    return dict(rotation.shifts.values_list("date", "member_id"))


def test_successor_takes_the_position_and_exactly_the_leavers_later_shifts(rotation):
    leaver = rotation.memberships.get(position=1).member
    before = shifts_by_day(rotation)
    successor = TeamMemberFactory()
    member_offboard(member=leaver, effective_date=EFFECTIVE, successor=successor, now=NOW)
    after = shifts_by_day(rotation)
    for day, member in before.items():
        if day < EFFECTIVE:
            assert after[day] == member, day
        elif member == leaver.pk:
            assert after[day] == successor.pk, day
        else:
            assert after[day] == member, day
    assert successor.pk in after.values()
    assert not rotation.shifts.filter(member=leaver, date__gte=EFFECTIVE).exists()
    position = rotation.memberships.get(member=successor)
    assert (position.position, position.starts_on) == (1, EFFECTIVE)
    leaver.refresh_from_db()
    assert leaver.left_on == EFFECTIVE and leaver.successor == successor


def test_leavers_history_counts_as_the_successors(rotation):
    leaver = rotation.memberships.get(position=0).member
    HolidayRecord.objects.create(date=date(2025, 12, 25), holiday_name="Christmas Day", member=leaver)
    successor = TeamMemberFactory()
    member_offboard(member=leaver, effective_date=EFFECTIVE, successor=successor, now=NOW)
    history = holiday_history(rotation, date(2026, 1, 1))
    assert (date(2025, 12, 25), "Christmas Day", successor.pk) in history
    christmas = {s.date.year: s.member_id for s in rotation.shifts.filter(holiday_name="Christmas Day")}
    assert successor.pk not in (christmas[2027], christmas[2028])


def test_without_successor_the_blocks_close_over_the_gap(rotation):
    leaver = rotation.memberships.get(position=2).member
    before = shifts_by_day(rotation)
    member_offboard(member=leaver, effective_date=EFFECTIVE, now=NOW)
    after = shifts_by_day(rotation)
    assert all(after[day] == member for day, member in before.items() if day < EFFECTIVE)
    assert not rotation.shifts.filter(member=leaver, date__gte=EFFECTIVE).exists()
    remaining = list(
        rotation.memberships.filter(ends_on__isnull=True).order_by("position").values_list("member_id", flat=True)
    )
    assert len(remaining) == 3
    for shift in rotation.shifts.filter(date__gte=EFFECTIVE, kind="regular"):
        assert shift.member_id == remaining[((shift.date - rotation.start_date).days // 7) % 3]
    assert after.keys() == before.keys()


def test_offboarding_rejects_bad_input(rotation):
    leaver, other = (m.member for m in rotation.memberships.order_by("position")[:2])
    with pytest.raises(ValidationError) as error:
        member_offboard(member=leaver, effective_date=date(2026, 1, 1), now=NOW)
    assert "effective_date" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        member_offboard(member=leaver, effective_date=EFFECTIVE, successor=leaver, now=NOW)
    assert "successor" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        member_offboard(member=leaver, effective_date=EFFECTIVE, successor=other, now=NOW)
    assert "already has a place" in error.value.message_dict["successor"][0]
    assert not Shift.objects.filter(member__left_on__isnull=False).exists()
    member_offboard(member=leaver, effective_date=EFFECTIVE, now=NOW)
    with pytest.raises(ValidationError) as error:
        member_offboard(member=leaver, effective_date=EFFECTIVE, now=NOW)
    assert "member" in error.value.message_dict


def test_offboarding_revokes_the_leavers_calendar_feed(rotation, client):
    leaver = rotation.memberships.get(position=3).member
    old_token = leaver.calendar_token
    assert client.get(f"/oncall/feeds/member/{old_token}.ics").status_code == 200
    member_offboard(member=leaver, effective_date=EFFECTIVE, now=NOW)
    assert client.get(f"/oncall/feeds/member/{old_token}.ics").status_code == 404
