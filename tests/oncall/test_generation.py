"""Rotation generation against the database: the seed team, history, DST, idempotency."""

from collections import Counter, defaultdict
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from oncall.models import HolidayRecord, Rotation, Shift
from oncall.services import TEAM_ROTATION, holiday_history, rotation_generate
from tests.conftest import NOW
from tests.oncall.factories import TeamMemberFactory, rotation_with

pytestmark = pytest.mark.django_db


def make_rotation(size=4, **fields):
    members = TeamMemberFactory.create_batch(size)
    return rotation_with(members, name="Team", **fields), members


def assert_holiday_rules(shifts, window_years, history=()):
    """The hard window and the balanced yearly counts, over stored shifts plus earlier history."""
    held = defaultdict(list)
    for day, name, member in history:
        held[(name, member)].append(day.year)
    per_year = defaultdict(Counter)
    for shift in shifts:
        if shift.kind == "holiday":
            held[(shift.holiday_name, shift.member_id)].append(shift.date.year)
            per_year[shift.date.year][shift.member_id] += 1
    for (name, member), years in held.items():
        years.sort()
        for earlier, later in zip(years, years[1:], strict=False):
            assert later - earlier >= window_years, f"member {member} holds {name} in {earlier} and {later}"
    members = {s.member_id for s in shifts}
    for year, counts in per_year.items():
        values = [counts.get(m, 0) for m in members]
        assert max(values) - min(values) <= 1, f"unbalanced holidays in {year}: {values}"


def test_seed_team_through_2036_keeps_every_rule(imported_seed):
    rotation = Rotation.objects.get(name=TEAM_ROTATION)
    assert rotation.block_days == 7 and rotation.window_years == 4
    assert rotation.handoff_time.hour == 0 and rotation.holiday_country == "US"
    result = rotation_generate(rotation_id=rotation.pk, until=date(2036, 12, 31), now=NOW)
    shifts = list(rotation.shifts.order_by("date"))
    first = shifts[0].date
    assert first == date(2026, 11, 25)
    assert [s.date for s in shifts] == [first + timedelta(days=i) for i in range((date(2036, 12, 31) - first).days + 1)]
    assert result.created == len(shifts)
    for shift, following in zip(shifts, shifts[1:], strict=False):
        assert shift.end == following.start
    order = list(rotation.memberships.order_by("position").values_list("member_id", flat=True))
    for shift in shifts:
        if shift.kind == "regular":
            assert shift.member_id == order[((shift.date - rotation.start_date).days // 7) % 4]
    christmases = [s for s in shifts if s.holiday_name == "Christmas Day"]
    assert len(christmases) == 11
    full_years = [s for s in shifts if s.date.year >= 2027]
    assert_holiday_rules(full_years, window_years=4)
    assert not any(s.warning for s in shifts)


def test_generation_twice_changes_nothing(imported_seed):
    rotation = Rotation.objects.get(name=TEAM_ROTATION)
    rotation_generate(rotation_id=rotation.pk, now=NOW)
    before = list(Shift.objects.order_by("pk").values())
    again = rotation_generate(rotation_id=rotation.pk, now=NOW)
    assert (again.created, again.updated) == (0, 0)
    assert list(Shift.objects.order_by("pk").values()) == before


def test_generation_fills_through_the_end_of_next_year(imported_seed):
    rotation = Rotation.objects.get(name=TEAM_ROTATION)
    rotation_generate(rotation_id=rotation.pk, now=NOW)
    assert rotation.shifts.latest("date").date == date(2027, 12, 31)


def test_generation_never_changes_past_or_traded_shifts():
    rotation, members = make_rotation()
    rotation_generate(rotation_id=rotation.pk, now=NOW)
    christmas = rotation.shifts.get(date=date(2026, 12, 25))
    other = next(m for m in members if m.pk != christmas.member_id)
    Shift.objects.filter(pk=christmas.pk).update(member=other, traded=True)
    today = rotation.shifts.get(date=NOW.date())
    # Reverse the order: every future untraded shift may move, but today's (started) and the traded one may not.
    for membership in rotation.memberships.all():
        membership.position += 10
        membership.save()
    result = rotation_generate(rotation_id=rotation.pk, now=NOW)
    assert result.updated > 0
    assert rotation.shifts.get(pk=christmas.pk).member_id == other.pk
    assert rotation.shifts.get(pk=today.pk).member_id == today.member_id


def test_imported_history_shapes_the_first_generated_years(imported_seed):
    rotation = Rotation.objects.get(name=TEAM_ROTATION)
    members = list(rotation.members.order_by("rotation_memberships__position"))
    # 2023-2025: a full, window-respecting history in which members[0] held Christmas 2025.
    for year, holder in zip((2023, 2024, 2025), members[2:] + members[:1], strict=False):
        HolidayRecord.objects.create(date=date(year, 12, 25), holiday_name="Christmas Day", member=holder)
    rotation_generate(rotation_id=rotation.pk, until=date(2030, 12, 31), now=NOW)
    christmas = {s.date.year: s.member_id for s in rotation.shifts.filter(holiday_name="Christmas Day")}
    # Only members[1] has never held Christmas, so they get 2026; nobody repeats within 4 years.
    assert christmas[2026] == members[1].pk
    history = holiday_history(rotation, date(2040, 1, 1))
    assert_holiday_rules(list(rotation.shifts.all()), 4, history=[h for h in history if h[0].year < 2026])


def test_new_york_rotation_has_23_and_25_hour_shifts_without_gaps():
    rotation, _ = make_rotation(time_zone="America/New_York")
    rotation_generate(rotation_id=rotation.pk, until=date(2027, 12, 31), now=NOW)
    shifts = list(rotation.shifts.filter(date__year=2027).order_by("date"))
    lengths = Counter((s.end - s.start) for s in shifts)
    assert lengths == {timedelta(hours=24): 363, timedelta(hours=23): 1, timedelta(hours=25): 1}
    assert rotation.shifts.get(date=date(2027, 3, 14)).end - rotation.shifts.get(
        date=date(2027, 3, 14)
    ).start == timedelta(hours=23)
    for shift, following in zip(shifts, shifts[1:], strict=False):
        assert shift.end == following.start
        assert shift.start.astimezone(rotation.tz).hour == 0


def test_small_team_gets_visible_warnings():
    rotation, _ = make_rotation(size=2)
    rotation_generate(rotation_id=rotation.pk, until=date(2029, 12, 31), now=NOW)
    warned = rotation.shifts.exclude(warning="")
    assert warned.exists()
    assert all(s.kind == "holiday" for s in warned)
    assert "4-year rule" in warned.first().warning
    assert not rotation.shifts.filter(kind="holiday", member__isnull=True).exists()


def test_generate_rotation_command_reports_and_is_idempotent(imported_seed):
    out = StringIO()
    call_command("generate_rotation", "--until", "2027-06-30", stdout=out)
    assert "shifts created" in out.getvalue()
    out = StringIO()
    call_command("generate_rotation", "--until", "2027-06-30", stdout=out)
    assert "0 shifts created, 0 updated" in out.getvalue()
