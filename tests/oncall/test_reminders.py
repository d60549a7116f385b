"""Reminder emails the day before a block starts and before each holiday shift."""

from datetime import date, datetime, time, timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from oncall.models import Notification, Rotation, Shift
from oncall.reminders import BLOCK_REMINDER, HOLIDAY_REMINDER, shift_reminders_send
from oncall.scheduling import shift_bounds
from tests.oncall.factories import RotationFactory, TeamMemberFactory, rotation_with

pytestmark = pytest.mark.django_db

NEW_YORK = "America/New_York"


@pytest.fixture(autouse=True)
def eager_celery(settings):
    """The send task runs inline when the on-commit callbacks run, so mail lands in the outbox."""
    settings.CELERY_TASK_ALWAYS_EAGER = True


def at(day: date, hour: int, rotation: Rotation) -> datetime:
    return datetime.combine(day, time(hour), rotation.tz)


def make_rotation(*, start: date, until: date, names: list[str], **fields) -> Rotation:
    """A generated weekly rotation in New York, members in the order given."""
    members = [TeamMemberFactory(name=name) for name in names]
    return rotation_with(
        members, name="Data platform", time_zone=NEW_YORK, start=start, generate_until=until, from_start=True, **fields
    )


@pytest.fixture
def march() -> Rotation:
    """Alice 3–9 March 2025, Bob 10–16, Alice 17–23…; no US holiday in March."""
    return make_rotation(start=date(2025, 3, 3), until=date(2025, 3, 31), names=["Alice Adams", "Bob Brown"])


def send(now: datetime, capture) -> int:
    with capture(execute=True):
        return shift_reminders_send(now=now)


def test_block_reminder_sent_once_the_day_before_the_block(march, django_capture_on_commit_callbacks):
    now = at(date(2025, 3, 9), 10, march)

    assert send(now, django_capture_on_commit_callbacks) == 1
    assert send(now.replace(hour=11), django_capture_on_commit_callbacks) == 0

    notification = Notification.objects.get()
    assert notification.kind == BLOCK_REMINDER
    assert notification.member.name == "Bob Brown"
    assert notification.status == "sent"
    (email,) = mail.outbox
    assert email.to == ["bob.brown@example.com"]
    assert "Monday 10 March" in email.subject
    assert "Monday 10 March 2025 to Sunday 16 March 2025 (7 days)" in email.body
    assert "From: Monday 10 March 2025, 00:00" in email.body
    assert "Until: Monday 17 March 2025, 00:00" in email.body
    assert NEW_YORK in email.body
    assert email.body.rstrip().endswith("/oncall/")


def test_block_reminder_waits_for_the_eve_in_the_rotation_zone(march, django_capture_on_commit_callbacks):
    # 02:00 UTC on 9 March is still the evening of 8 March in New York: two days before Bob's block.
    assert send(datetime.fromisoformat("2025-03-09T02:00:00+00:00"), django_capture_on_commit_callbacks) == 0
    assert send(datetime.fromisoformat("2025-03-09T05:00:00+00:00"), django_capture_on_commit_callbacks) == 1
    assert Notification.objects.get().member.name == "Bob Brown"


def test_block_reminder_not_sent_mid_block(march, django_capture_on_commit_callbacks):
    for day in (11, 12, 13, 14):  # the days before Bob's second to fifth days
        assert send(at(date(2025, 3, day), 12, march), django_capture_on_commit_callbacks) == 0
    assert not Notification.objects.exists()
    assert mail.outbox == []


def test_block_reminder_not_sent_once_the_block_started(march, django_capture_on_commit_callbacks):
    assert send(at(date(2025, 3, 10), 1, march), django_capture_on_commit_callbacks) == 0
    assert not Notification.objects.exists()


def test_block_reminder_after_a_missed_day_still_goes_before_the_start(django_capture_on_commit_callbacks):
    # A 09:00 handoff: the run on the block's own morning, before 09:00, still reminds.
    rotation = make_rotation(
        start=date(2025, 3, 3), until=date(2025, 3, 31), names=["Alice Adams", "Bob Brown"], handoff_time=time(9)
    )

    assert send(at(date(2025, 3, 10), 8, rotation), django_capture_on_commit_callbacks) == 1
    assert "From: Monday 10 March 2025, 09:00" in mail.outbox[0].body


def test_holiday_reminder_sent_the_day_before_the_holiday(django_capture_on_commit_callbacks):
    rotation = make_rotation(
        start=date(2025, 6, 30), until=date(2025, 7, 13), names=["Alice Adams", "Bob Brown", "Cleo Chen"]
    )
    holiday = Shift.objects.get(rotation=rotation, date=date(2025, 7, 4))
    assert holiday.holiday_name == "Independence Day"

    assert send(at(date(2025, 7, 3), 9, rotation), django_capture_on_commit_callbacks) >= 1
    assert send(at(date(2025, 7, 3), 10, rotation), django_capture_on_commit_callbacks) == 0

    # Whether the holder also starts a block here depends on who held 3 July; the holiday one is certain.
    notification = Notification.objects.get(kind=HOLIDAY_REMINDER)
    assert notification.member == holiday.member
    (email,) = [email for email in mail.outbox if email.subject.startswith("You are on call on Independence Day")]
    assert email.to == [holiday.member.email]
    assert "Independence Day" in email.subject
    assert "Day: Friday 4 July 2025 (Independence Day)" in email.body


def test_members_without_email_are_skipped(march, django_capture_on_commit_callbacks):
    march.members.filter(name="Bob Brown").update(email="")

    assert send(at(date(2025, 3, 9), 10, march), django_capture_on_commit_callbacks) == 0
    assert not Notification.objects.exists()
    assert mail.outbox == []


def hold(rotation: Rotation, first: date, holders: list[tuple[object, str]]) -> None:
    """Shifts from `first` on, one (member, holiday name or "") per day."""
    for offset, (member, holiday_name) in enumerate(holders):
        day = first + timedelta(days=offset)
        start, end = shift_bounds(day, rotation.time_zone)
        Shift.objects.create(
            rotation=rotation,
            date=day,
            member=member,
            kind="holiday" if holiday_name else "regular",
            holiday_name=holiday_name,
            start=start,
            end=end,
        )


@pytest.fixture
def christmas_week():
    rotation = RotationFactory(name="Data platform", time_zone=NEW_YORK, start_date=date(2025, 12, 15))
    return rotation, TeamMemberFactory(name="Alice Adams"), TeamMemberFactory(name="Bob Brown")


def test_holiday_someone_else_holds_splits_the_block(christmas_week, django_capture_on_commit_callbacks):
    rotation, alice, bob = christmas_week
    hold(rotation, date(2025, 12, 24), [(alice, ""), (bob, "Christmas Day"), (alice, ""), (alice, "")])

    assert send(at(date(2025, 12, 25), 12, rotation), django_capture_on_commit_callbacks) == 1
    (email,) = mail.outbox
    assert email.to == [alice.email]
    assert "Friday 26 December 2025 to Saturday 27 December 2025 (2 days)" in email.body


def test_own_holiday_inside_the_week_is_one_block(christmas_week, django_capture_on_commit_callbacks):
    rotation, alice, bob = christmas_week
    week = [(alice, ""), (alice, ""), (alice, ""), (alice, "Christmas Day"), (alice, ""), (alice, ""), (alice, "")]
    hold(rotation, date(2025, 12, 21), [(bob, ""), *week])

    assert send(at(date(2025, 12, 21), 12, rotation), django_capture_on_commit_callbacks) == 1
    assert "Monday 22 December 2025 to Sunday 28 December 2025 (7 days)" in mail.outbox[0].body
    assert "Holiday: Christmas Day, Thursday 25 December 2025" in mail.outbox[0].body
    # The eve of Christmas brings its holiday reminder; the day after it starts no new block.
    for day in (22, 23, 24, 25, 26):
        send(at(date(2025, 12, day), 12, rotation), django_capture_on_commit_callbacks)
    assert [n.kind for n in Notification.objects.order_by("pk")] == [BLOCK_REMINDER, HOLIDAY_REMINDER]
    assert len(mail.outbox) == 2


def test_block_starting_on_own_holiday_gets_both_reminders(christmas_week, django_capture_on_commit_callbacks):
    rotation, alice, bob = christmas_week
    hold(rotation, date(2025, 12, 24), [(bob, ""), (alice, "Christmas Day"), (alice, ""), (alice, "")])

    assert send(at(date(2025, 12, 24), 12, rotation), django_capture_on_commit_callbacks) == 2
    assert {n.kind for n in Notification.objects.filter(member=alice)} == {BLOCK_REMINDER, HOLIDAY_REMINDER}
    block_email = next(email for email in mail.outbox if "block" in email.body)
    assert "Thursday 25 December 2025 to Saturday 27 December 2025 (3 days)" in block_email.body


def test_holiday_alone_gets_no_block_reminder(christmas_week, django_capture_on_commit_callbacks):
    rotation, alice, bob = christmas_week
    hold(rotation, date(2025, 12, 24), [(alice, ""), (bob, "Christmas Day"), (alice, "")])

    assert send(at(date(2025, 12, 24), 12, rotation), django_capture_on_commit_callbacks) == 1
    assert Notification.objects.get().kind == HOLIDAY_REMINDER


def test_reminders_are_sent_in_a_fixed_number_of_queries_whatever_the_number_of_rotations(
    django_capture_on_commit_callbacks,
):
    counts = []
    for size in (2, 8):
        Notification.objects.all().delete()
        Rotation.objects.all().delete()
        rotations = [
            rotation_with(
                [TeamMemberFactory(name=f"Alice {size}-{n}"), TeamMemberFactory(name=f"Bob {size}-{n}")],
                name=f"Rotation {size}-{n}",
                time_zone=NEW_YORK,
                start=date(2025, 3, 3),
                generate_until=date(2025, 3, 31),
                from_start=True,
            )
            for n in range(size)
        ]
        # The sending itself (one task per email, after the commit) is not part of the hourly run.
        with django_capture_on_commit_callbacks(), CaptureQueriesContext(connection) as queries:
            sent = shift_reminders_send(now=at(date(2025, 3, 9), 10, rotations[0]))
        counts.append(len(queries))
        assert sent == size
        bobs = {f"Bob {size}-{n}" for n in range(size)}
        assert {n.member.name for n in Notification.objects.filter(kind=BLOCK_REMINDER)} == bobs
        assert {n.key for n in Notification.objects.all()} == {
            f"{BLOCK_REMINDER}:shift-{r.shifts.get(date=date(2025, 3, 10)).pk}:{r.shifts.get(date=date(2025, 3, 10)).member.email}"
            for r in rotations
        }
    assert counts[0] == counts[1]
