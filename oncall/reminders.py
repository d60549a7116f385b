"""Reminder emails to whoever goes on call next: the day before their block, and before each holiday.

A block is a run of consecutive days one member holds in one rotation, with at least one regular
day in it. Its reminder goes out the day before its first day, keyed by that day's shift. A holiday
the member holds inside their own week therefore does not start a new block, while a holiday
someone else holds splits the week and the days after it are reminded again. Every holiday shift
also gets its own reminder. All of it goes through `notify_all` under a key naming the shift, so the
hourly task may run as often as it likes.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from .choices import ShiftKind
from .models import Rotation, Shift
from .notifications import Email, Recipient, notify_all

BLOCK_REMINDER = "oncall.block-reminder"
HOLIDAY_REMINDER = "oncall.holiday-reminder"
ONCALL_PAGE = "/oncall/"
# A shift on tomorrow's date starts less than two days away (a late handoff, plus a DST hour).
HORIZON = timedelta(days=3)
# How far ahead to look for where a block ends; a longer block is described up to this far.
BLOCK_LOOKAHEAD = timedelta(days=366)


@dataclass(frozen=True)
class Day:
    """What the reminder rule needs to know about one day of a rotation."""

    member_id: int
    kind: str
    holiday_name: str
    end: datetime


@dataclass(frozen=True)
class Block:
    """A member's consecutive days in a rotation, from the due shift on."""

    first: Shift
    last_day: date
    end: datetime
    holidays: list[tuple[date, str]]
    has_regular_day: bool

    @property
    def days(self) -> int:
        return (self.last_day - self.first.date).days + 1


def is_due(shift: Shift, now: datetime) -> bool:
    """From the day before the shift's date (in the rotation's zone) until the shift starts.

    Any hourly run in that span sends the reminder, so a missed run only delays it.
    """
    local_today = now.astimezone(shift.rotation.tz).date()
    return local_today >= shift.date - timedelta(days=1) and shift.start > now


def starts_block(shift: Shift, days: dict[date, Day]) -> bool:
    """The member did not hold the day before."""
    before = days.get(shift.date - timedelta(days=1))
    return before is None or before.member_id != shift.member_id


def block_from(shift: Shift, days: dict[date, Day]) -> Block:
    """The days the member holds in a row from `shift` on."""
    last_day, end, kinds = shift.date, shift.end, {shift.kind}
    holidays = [(shift.date, shift.holiday_name)] if shift.holiday_name else []
    while (after := days.get(last_day + timedelta(days=1))) and after.member_id == shift.member_id:
        last_day, end = last_day + timedelta(days=1), after.end
        kinds.add(after.kind)
        if after.holiday_name:
            holidays.append((last_day, after.holiday_name))
    return Block(shift, last_day, end, holidays, ShiftKind.REGULAR in kinds)


def long_date(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def local_time(moment: datetime, rotation: Rotation) -> str:
    local = moment.astimezone(rotation.tz)
    return f"{long_date(local.date())}, {local:%H:%M}"


def block_reminder(block: Block) -> Email:
    shift = block.first
    rotation, member = shift.rotation, shift.member
    holidays = "".join(f"Holiday: {name}, {long_date(day)}\n" for day, name in block.holidays)
    return Email(
        event=f"{BLOCK_REMINDER}:shift-{shift.pk}",
        recipient=Recipient.of(member),
        subject=f"You are on call from {shift.date:%A} {shift.date.day} {shift.date:%B} ({rotation.name})",
        body=(
            f"Hello {member.name},\n\n"
            f"Your on-call block in the {rotation.name} rotation starts {local_time(shift.start, rotation)}.\n\n"
            f"Days: {long_date(shift.date)} to {long_date(block.last_day)} "
            f"({block.days} day{'s' if block.days != 1 else ''})\n"
            f"From: {local_time(shift.start, rotation)}\n"
            f"Until: {local_time(block.end, rotation)}\n"
            f"Time zone: {rotation.time_zone}\n"
            f"{holidays}\n"
            "Who is on call when, and your holiday shifts, are on the portal:"
        ),
        about=f"{rotation.name}: {member.name} on call from {shift.date:%Y-%m-%d} to {block.last_day:%Y-%m-%d}",
        about_url=ONCALL_PAGE,
    )


def holiday_reminder(shift: Shift) -> Email:
    rotation, member = shift.rotation, shift.member
    warning = f"\nNote: {shift.warning}\n" if shift.warning else ""
    return Email(
        event=f"{HOLIDAY_REMINDER}:shift-{shift.pk}",
        recipient=Recipient.of(member),
        subject=f"You are on call on {shift.holiday_name}, {shift.date.day} {shift.date:%B} ({rotation.name})",
        body=(
            f"Hello {member.name},\n\n"
            f"You are on call on {shift.holiday_name} in the {rotation.name} rotation.\n\n"
            f"Day: {long_date(shift.date)} ({shift.holiday_name})\n"
            f"From: {local_time(shift.start, rotation)}\n"
            f"Until: {local_time(shift.end, rotation)}\n"
            f"Time zone: {rotation.time_zone}\n"
            f"{warning}\n"
            "Who is on call when, and your holiday shifts, are on the portal:"
        ),
        about=f"{rotation.name}: {member.name} on call on {shift.holiday_name} {shift.date:%Y-%m-%d}",
        about_url=ONCALL_PAGE,
    )


@transaction.atomic
def shift_reminders_send(*, now: datetime | None = None) -> int:
    """Email members whose block or holiday shift is tomorrow; returns how many emails were new.

    Meant to run hourly. A shift already reminded is skipped by `notify_all` (unique key per shift
    and recipient), so running it twice sends nothing twice; members without an email are skipped.
    "Tomorrow" is in the rotation's time zone, and a reminder is never sent once the shift started.
    """
    now = now or timezone.now()
    upcoming = list(Shift.objects.filter(start__gt=now, start__lte=now + HORIZON).select_related("rotation", "member"))
    due = [shift for shift in upcoming if is_due(shift, now)]
    if not due:
        return 0

    # One read of the days around the due shifts tells where each block starts and ends.
    first = min(shift.date for shift in due) - timedelta(days=1)
    last = max(shift.date for shift in due) + BLOCK_LOOKAHEAD
    days: dict[int, dict[date, Day]] = {}
    for rotation_id, day, member_id, kind, holiday_name, end in Shift.objects.filter(
        rotation_id__in={shift.rotation_id for shift in due}, date__gte=first, date__lte=last
    ).values_list("rotation_id", "date", "member_id", "kind", "holiday_name", "end"):
        days.setdefault(rotation_id, {})[day] = Day(member_id, kind, holiday_name, end)

    holiday_emails: list[Email] = []
    block_emails: list[Email] = []
    for shift in due:
        rotation_days = days[shift.rotation_id]
        if shift.kind == ShiftKind.HOLIDAY:
            holiday_emails.append(holiday_reminder(shift))
        if starts_block(shift, rotation_days) and (block := block_from(shift, rotation_days)).has_regular_day:
            block_emails.append(block_reminder(block))
    # One outbox record per kind, so the hourly run stays flat however many rotations there are.
    sent = notify_all(kind=HOLIDAY_REMINDER, emails=holiday_emails)
    sent += notify_all(kind=BLOCK_REMINDER, emails=block_emails)
    return len(sent)
