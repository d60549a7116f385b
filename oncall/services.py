"""Writes and rules about people, rotations, shifts and trades."""

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from . import scheduling
from .calendar import rotation_holidays, team_rotation_id
from .choices import TradeStatus
from .models import HolidayRecord, HolidayTrade, Rotation, RotationMembership, Shift, TeamMember
from .models.members import new_feed_token
from .people import login_username
from .plan_rules import OnCallRules
from .queueing import task_enqueue


@dataclass
class ImportSummary:
    """What an import created, updated and left alone, by kind of thing ("member", "pipeline"…)."""

    created: dict[str, list[str]] = field(default_factory=dict)
    updated: dict[str, list[str]] = field(default_factory=dict)
    unchanged: dict[str, list[str]] = field(default_factory=dict)

    def record(self, kind: str, name: str, *, created: bool, changed: bool) -> None:
        bucket = self.created if created else self.updated if changed else self.unchanged
        bucket.setdefault(kind, []).append(name)

    @property
    def changed_anything(self) -> bool:
        return bool(self.created or self.updated)


def assign_changed_fields(instance, values: dict) -> bool:
    """Set `values` on `instance`; True when any of them differed (so unchanged rows are not saved)."""
    changed = False
    for name, value in values.items():
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed = True
    return changed


@transaction.atomic
def team_member_upsert(*, name: str, area: str, expertise: str, is_manager: bool, summary: ImportSummary) -> TeamMember:
    """Create or update the member called `name` and their `first.last` login user."""
    User = get_user_model()
    member = TeamMember.objects.select_related("user").filter(name=name).first()
    created = member is None
    if created:
        username = login_username(name)
        user, user_created = User.objects.get_or_create(username=username)
        if user_created:
            user.set_unusable_password()  # they sign in once a manager or `set_login` gives them a password
        first, _, last = name.partition(" ")
        user.first_name, user.last_name = first, last
        user.save()
        member = TeamMember(user=user, name=name)
    changed = assign_changed_fields(member, {"area": area, "expertise": expertise, "is_manager": is_manager})
    if created or changed:
        member.full_clean()
        member.save()
    summary.record("member", name, created=created, changed=changed)
    return member


@transaction.atomic
def team_member_create(
    *, name: str, email: str = "", area: str = "", expertise: str = "", is_manager: bool = False, joined_on=None
) -> TeamMember:
    """Add a member and their `first.last` login user (without a password until one is set)."""
    User = get_user_model()
    try:
        username = login_username(name)
    except ValueError:
        raise ValidationError(
            {"name": "A name needs a letter or digit from A to Z or 0 to 9 for the username."}
        ) from None
    if User.objects.filter(username=username).exists():
        raise ValidationError({"name": f"The username {username} is already taken."})
    first, _, last = name.partition(" ")
    user = User(username=username, first_name=first, last_name=last, email=email)
    user.set_unusable_password()
    user.save()
    member = TeamMember(
        user=user, name=name, email=email, area=area, expertise=expertise, is_manager=is_manager, joined_on=joined_on
    )
    member.full_clean()
    member.save()
    return member


# --- rotations and shifts ------------------------------------------------------------------------


def rotation_orders(rotation: Rotation, memberships: list[RotationMembership]) -> list[tuple[date, list[int]]]:
    """The rotation's order over time: (first day, member ids by position), earliest first.

    Memberships carry the days they cover, so a member who leaves with a successor hands over
    their position on the effective date, and one who leaves without one closes the gap from then.
    """
    changes = {m.starts_on for m in memberships if m.starts_on} | {m.ends_on for m in memberships if m.ends_on}
    epochs: list[tuple[date, list[int]]] = []
    for first_day in sorted({rotation.start_date} | {d for d in changes if d > rotation.start_date}):
        order = [m.member_id for m in sorted(memberships, key=lambda m: m.position) if m.covers(first_day)]
        if not epochs or epochs[-1][1] != order:
            epochs.append((first_day, order))
    return epochs


def successor_of(members: Iterable[TeamMember]) -> dict[int, int]:
    """Each member id → the member who now stands for them (following successors to the end)."""
    direct = {m.pk: m.successor_id for m in members if m.successor_id}
    resolved = {}
    for member_id in direct:
        seen, current = {member_id}, member_id
        while current in direct and direct[current] not in seen:
            current = direct[current]
            seen.add(current)
        resolved[member_id] = current
    return resolved


def holiday_history(rotation: Rotation, before: date) -> list[scheduling.HistoryEntry]:
    """Who held which holiday before `before`: recorded history and the rotation's own holiday shifts.

    A leaver's holidays count as their successor's, so the window follows the position.
    """
    stand_in = successor_of(TeamMember.objects.filter(successor__isnull=False))
    entries = [
        *HolidayRecord.objects.filter(date__lt=before).values_list("date", "holiday_name", "member_id"),
        *rotation.shifts.holidays().filter(date__lt=before).values_list("date", "holiday_name", "member_id"),
    ]
    return sorted({(day, name, stand_in.get(member, member)) for day, name, member in entries})


@dataclass(frozen=True)
class GenerationResult:
    created: int
    updated: int
    first_day: date | None
    last_day: date | None

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


SHIFT_FIELDS = ("member_id", "kind", "holiday_name", "start", "end", "warning")


@transaction.atomic
def rotation_generate(*, rotation_id: int, until: date | None = None, now: datetime | None = None) -> GenerationResult:
    """Fill the rotation with shifts from today through 31 December of next year (or `until`).

    Shifts that have started and traded shifts never change; running it twice changes nothing.
    The rotation row is locked, so two generations of one rotation run one after the other.
    """
    rotation = Rotation.objects.select_for_update().get(pk=rotation_id)
    memberships = list(rotation.memberships.all())
    now = now or timezone.now()
    today = now.astimezone(rotation.tz).date()
    first_day = max(today, rotation.start_date)
    existing = {shift.date: shift for shift in rotation.shifts.filter(date__gte=first_day)}
    last_day = max([until or date(today.year + 1, 12, 31), *existing])
    # Plan in terms of positions' current holders: a successor stands for the leaver, so a
    # hand-over is not a change of order and the plan (and its holiday choices) stays the same.
    stand_in = successor_of(TeamMember.objects.filter(successor__isnull=False))
    epochs = _merged_epochs(
        (day, [stand_in.get(member, member) for member in order])
        for day, order in rotation_orders(rotation, memberships)
    )
    if not epochs or last_day < first_day:
        return GenerationResult(0, 0, None, None)

    fixed = {day: s.member_id for day, s in existing.items() if s.traded or s.start <= now}
    # The planner looks `window_years - 1` years ahead so that balancing a year never makes a
    # later one impossible; it needs those years' holidays.
    calendar = rotation_holidays(rotation, range(rotation.start_date.year, last_day.year + rotation.window_years))
    history = holiday_history(rotation, first_day)
    fingerprint = _plan_fingerprint(rotation, epochs, calendar, history, existing, first_day, last_day)
    if fingerprint == rotation.plan_fingerprint:
        return GenerationResult(0, 0, first_day, last_day)  # same inputs, same stored plan: nothing to do
    planned: list[scheduling.PlannedShift] = []
    for index, (epoch_start, order) in enumerate(epochs):
        epoch_end = epochs[index + 1][0] - timedelta(days=1) if index + 1 < len(epochs) else last_day
        if epoch_end < first_day or epoch_start > last_day:
            continue
        planned += scheduling.plan_shifts(
            start=rotation.start_date,
            until=min(epoch_end, last_day),
            from_day=max(epoch_start, first_day),
            order=order,
            block_days=rotation.block_days,
            tz_name=rotation.time_zone,
            handoff=rotation.handoff_time,
            holidays=calendar,
            history=history,
            window_years=rotation.window_years,
            fixed={day: stand_in.get(member, member) for day, member in fixed.items()}
            | {p.day: p.member for p in planned},
        )
    names = dict(TeamMember.objects.values_list("pk", "name"))

    to_create, to_update = [], []
    for plan in planned:
        values = {
            "member_id": _holder_on(plan.day, plan.member, memberships, stand_in),
            "kind": plan.kind,
            "holiday_name": plan.holiday_name or "",
            "start": plan.start,
            "end": plan.end,
            "warning": plan.warning.message(names.get(plan.warning.member)) if plan.warning else "",
        }
        shift = existing.get(plan.day)
        if shift is None:
            to_create.append(Shift(rotation=rotation, date=plan.day, **values))
        elif plan.day not in fixed and assign_changed_fields(shift, values):
            to_update.append(shift)
    Shift.objects.bulk_create(to_create, batch_size=1000)
    Shift.objects.bulk_update(to_update, SHIFT_FIELDS, batch_size=1000)
    existing.update({shift.date: shift for shift in to_create})
    rotation.plan_fingerprint = _plan_fingerprint(rotation, epochs, calendar, history, existing, first_day, last_day)
    rotation.save(update_fields=["plan_fingerprint"])
    return GenerationResult(len(to_create), len(to_update), first_day, last_day)


def _plan_fingerprint(rotation, epochs, calendar, history, existing: dict[date, Shift], first_day, last_day) -> str:
    """A digest of everything a plan depends on and of the stored shifts it produced.

    When neither changed since the last generation, the plan would come out the same, so a
    nightly no-op regeneration costs a read of the shifts instead of a new plan.
    """
    digest = hashlib.sha256()
    for part in (
        (rotation.start_date, rotation.block_days, rotation.time_zone, rotation.handoff_time, rotation.window_years),
        (first_day, last_day),
        epochs,
        sorted(calendar.items()),
        history,
        [
            (day, s.member_id, s.kind, s.holiday_name, s.start.timestamp(), s.end.timestamp(), s.traded, s.warning)
            for day, s in sorted(existing.items())
        ],
    ):
        digest.update(repr(part).encode())
    return digest.hexdigest()


def _merged_epochs(epochs: Iterable[tuple[date, list[int]]]) -> list[tuple[date, list[int]]]:
    merged: list[tuple[date, list[int]]] = []
    for day, order in epochs:
        if order and (not merged or merged[-1][1] != order):
            merged.append((day, order))
    return merged


def _holder_on(day: date, stand_in_member: int, memberships: list[RotationMembership], stand_in: dict[int, int]) -> int:
    """Who actually holds a planned day: the leaver until their successor's first day."""
    for membership in memberships:
        if membership.covers(day) and stand_in.get(membership.member_id, membership.member_id) == stand_in_member:
            return membership.member_id
    return stand_in_member


# --- calendar feeds ------------------------------------------------------------------------------


def member_feed_token_reset(*, member: TeamMember) -> str:
    """Give the member a new calendar feed token: the old feed URL answers 404 from now on.

    Returns the new token. The calendar page, the account page and the admin all reset through here.
    """
    member.calendar_token = new_feed_token()
    member.save(update_fields=["calendar_token"])
    return member.calendar_token


def rotation_feed_token_reset(*, rotation: Rotation) -> str:
    """Give the rotation a new feed token: the old feed URL answers 404 from now on.

    Returns the new token.
    """
    rotation.feed_token = new_feed_token()
    rotation.save(update_fields=["feed_token"])
    return rotation.feed_token


# --- turnover ------------------------------------------------------------------------------------


@transaction.atomic
def member_offboard(
    *, member: TeamMember, effective_date: date, successor: TeamMember | None = None, now: datetime | None = None
) -> None:
    """`member` leaves the rotation on `effective_date`.

    A successor takes the leaver's rotation position and all of the leaver's shifts from that date
    (the freed holidays and traded shifts included), and the leaver's holiday history counts as
    theirs. Without one, the leaver's shifts from that date are planned anew in place: the holiday
    rule hands out the freed holidays and the weekly blocks close over the gap. A traded shift is
    never planned again, so without a successor the leaver must hold none from that date. The
    rotations are regenerated at once, so nobody sees the leaver removed but still on call.

    Nothing is deleted: shift rows are kept (trades point at them), and pending trades that can
    no longer happen are closed as cancelled.
    """
    now = now or timezone.now()
    member = TeamMember.objects.select_for_update().get(pk=member.pk)
    errors = {}
    if not member.active or member.left_on:
        errors["member"] = f"{member.name} has already left."
    if effective_date < timezone.localdate(now):
        errors["effective_date"] = "The effective date cannot be in the past."
    memberships = list(member.rotation_memberships.filter(ends_on__isnull=True).select_related("rotation"))
    if successor is not None:
        if successor.pk == member.pk:
            errors["successor"] = "A member cannot succeed themself."
        elif not successor.active:
            errors["successor"] = f"{successor.name} is not an active member."
        elif RotationMembership.objects.filter(
            member=successor, ends_on__isnull=True, rotation__in=[m.rotation for m in memberships]
        ).exists():
            errors["successor"] = f"{successor.name} already has a place in the rotation."
    later_shifts = Shift.objects.filter(member=member, date__gte=effective_date)
    if successor is None:
        traded = [f"{shift.date:%-d %B %Y}" for shift in later_shifts.filter(traded=True).order_by("date")]
        if traded:
            errors["successor"] = (
                f"{member.name} holds traded holiday shifts from the effective date on ({', '.join(traded)}), "
                "which are never planned again: name a successor to take them."
            )
    if errors:
        raise ValidationError(errors)

    member.left_on = effective_date
    member.successor = successor
    member.calendar_token = new_feed_token()  # a leaver's calendar feed stops answering
    member.active = effective_date > timezone.localdate(now)
    member.full_clean()
    member.save()
    for membership in memberships:
        if membership.starts_on and membership.starts_on >= effective_date:
            membership.delete()
        else:
            membership.ends_on = effective_date
            membership.save(update_fields=["ends_on"])
        if successor is not None:
            RotationMembership.objects.create(
                rotation=membership.rotation, member=successor, position=membership.position, starts_on=effective_date
            )
    leaver_in = Q(requested_by=member) | Q(counterparty=member)
    from_then = Q(shift__date__gte=effective_date) | Q(counterparty_shift__date__gte=effective_date)
    HolidayTrade.objects.filter(leaver_in, from_then, status=TradeStatus.PENDING).update(
        status=TradeStatus.CANCELLED, decided_at=now
    )
    if successor is not None:
        later_shifts.update(member=successor)
    # Without a successor the later shifts stay (trades point at them) and the generation below,
    # planning without the leaver, gives each a new holder in place.
    for membership in memberships:
        rotation_generate(rotation_id=membership.rotation_id, now=now)


def members_deactivate_departed(*, today: date) -> int:
    """Mark members whose effective leaving date has come as inactive."""
    departed = list(TeamMember.objects.filter(active=True, left_on__lte=today))
    for member in departed:  # one save each (a handful a year), so the change log records each
        member.active = False
        member.save(update_fields=["active"])
    return len(departed)


# --- holiday history -----------------------------------------------------------------------------


@dataclass(frozen=True)
class HolidayHistoryRow:
    line: int
    date: date
    holiday_name: str
    member: str  # a member's name or username


@transaction.atomic
def holiday_history_import(*, rows: list[HolidayHistoryRow]) -> ImportSummary:
    """Record who held which holiday before the portal; all rows or none.

    Each row must name a known member and, where a rotation exists, the holiday its calendar has on
    that date (the window compares holiday names, so "Christmas" and "Christmas Day" would not
    match). Raises ValidationError listing every bad row by line.
    """
    members = {}
    for member in TeamMember.objects.select_related("user"):
        members[member.name.casefold()] = member
        members[member.user.username.casefold()] = member
    rotation = Rotation.objects.order_by("pk").first()
    calendar = rotation_holidays(rotation, {row.date.year for row in rows}) if rotation and rows else {}
    problems, seen = [], {}
    for row in rows:
        if row.member.casefold() not in members:
            problems.append(f"line {row.line}: {row.member!r} is not a team member")
        if rotation is not None and calendar.get(row.date) != row.holiday_name:
            expected = calendar.get(row.date)
            problems.append(
                f"line {row.line}: {rotation.holiday_country} has no holiday on {row.date}"
                if expected is None
                else f"line {row.line}: the holiday on {row.date} is called {expected!r}, not {row.holiday_name!r}"
            )
        key = (row.date, row.holiday_name)
        if key in seen:
            problems.append(f"line {row.line}: {row.holiday_name} {row.date} is already on line {seen[key]}")
        seen[key] = row.line
    if problems:
        raise ValidationError(problems)
    summary = ImportSummary()
    for row in rows:
        member = members[row.member.casefold()]
        record, created = HolidayRecord.objects.get_or_create(
            date=row.date, holiday_name=row.holiday_name, defaults={"member": member}
        )
        changed = not created and record.member_id != member.pk
        if changed:
            record.member = member
            record.save(update_fields=["member"])
        summary.record("holiday record", f"{row.holiday_name} {row.date.year}", created=created, changed=changed)
    return summary


# --- the plan's on-call rules --------------------------------------------------------------------

TEAM_ROTATION = "Team rotation"  # the name the plan's rotation gets when the import creates it
TEAM_ROTATION_KEY = "team"  # how the import finds that rotation again (Rotation.plan_key)


@transaction.atomic
def rotation_configure_from_plan(*, rules: OnCallRules, members: list[TeamMember], summary: ImportSummary) -> Rotation:
    """Create the team rotation from the plan's on-call rules, or update its figures in place.

    The order is the plan's team order when the rotation is created; later, members new to the plan
    join at the end and the order a manager set is kept.
    """
    # By its key, not its name: a manager may rename the rotation, and the plan still means it.
    rotation = Rotation.objects.filter(plan_key=TEAM_ROTATION_KEY).first()
    created = rotation is None
    if created:
        rotation = Rotation(name=TEAM_ROTATION, plan_key=TEAM_ROTATION_KEY)
    changed = assign_changed_fields(
        rotation,
        {
            "handoff_time": rules.shift_start,
            "block_days": rules.rotation_days,
            "window_years": rules.holiday_window_years,
        },
    )
    if created or changed:
        rotation.full_clean()
        rotation.save()
    current = {m.member_id: m for m in rotation.memberships.filter(ends_on__isnull=True)}
    position = max((m.position for m in current.values()), default=-1)
    for member in members:
        if member.pk not in current and member.active:
            position += 1
            RotationMembership.objects.create(rotation=rotation, member=member, position=position)
            changed = True
    summary.record("rotation", rotation.name, created=created, changed=changed)
    if created or changed:
        transaction.on_commit(lambda: _enqueue_generation(rotation.pk))
    return rotation


def _enqueue_generation(rotation_id: int) -> None:
    from .tasks import generate_rotation

    # Not queued while the broker is away: the nightly run regenerates every rotation.
    task_enqueue(generate_rotation, args=(rotation_id,))


def rotation_regenerate_after_commit(*, rotation_id: int) -> None:
    """Queue the rotation's regeneration once the current change is committed (and only if it is)."""
    transaction.on_commit(lambda: _enqueue_generation(rotation_id))


# --- rotation order ------------------------------------------------------------------------------


@transaction.atomic
def rotation_set_order(*, rotation: Rotation, members: list[TeamMember], now: datetime | None = None) -> bool:
    """Make `members` the rotation's order (first position first) from today in the rotation's zone.

    The current memberships close today and new ones start today with positions 0..n-1, so past
    shifts keep the order they were planned with; memberships that had not begun yet are dropped.
    The same order again changes nothing. Returns whether the order changed; a change regenerates
    the rotation once the transaction commits.
    """
    rotation = Rotation.objects.select_for_update().get(pk=rotation.pk)
    errors = []
    ids = [member.pk for member in members]
    if len(set(ids)) != len(ids):
        errors.append("A member can hold only one position.")
    inactive = [m.name for m in TeamMember.objects.filter(pk__in=ids, active=False)]
    if inactive:
        errors.append(f"Not active members: {', '.join(inactive)}.")
    if errors:
        raise ValidationError({"order": errors})

    current = list(rotation.memberships.filter(ends_on__isnull=True).order_by("position"))
    if [m.member_id for m in current] == ids:
        return False
    today = (now or timezone.now()).astimezone(rotation.tz).date()
    effective = max(today, rotation.start_date)
    for membership in current:
        never_began = (membership.starts_on or rotation.start_date) >= effective
        if never_began:
            membership.delete()
        else:
            membership.ends_on = effective
            membership.full_clean()
            membership.save(update_fields=["ends_on"])
    for position, member in enumerate(members):
        membership = RotationMembership(
            rotation=rotation,
            member=member,
            position=position,
            starts_on=effective if effective > rotation.start_date else None,
        )
        membership.full_clean()
        membership.save()
    transaction.on_commit(lambda: _enqueue_generation(rotation.pk))
    return True


def on_call_at(instant: datetime) -> TeamMember | None:
    """Who held the team rotation's shift at `instant`: one query, as every incident opened asks."""
    shift = Shift.objects.covering(instant).filter(rotation=team_rotation_id()).select_related("member").first()
    return shift.member if shift else None


@transaction.atomic
def rotation_save(*, rotation: Rotation | None, values: dict, members: list[TeamMember] | None = None) -> Rotation:
    """Create a rotation or change its settings and, when given, its order; regenerates after commit.

    Raises ValidationError (by field) for a time zone or holiday country the libraries do not know.
    """
    rotation = rotation or Rotation()
    created = rotation.pk is None
    changed = assign_changed_fields(rotation, values)
    if created or changed:
        rotation.full_clean()
        rotation.save()
    reordered = members is not None and rotation_set_order(rotation=rotation, members=members)
    if (created or changed) and not reordered:  # a new order regenerates by itself
        rotation_regenerate_after_commit(rotation_id=rotation.pk)
    return rotation
