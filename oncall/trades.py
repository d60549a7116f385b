"""Holiday trades: requests, answers and expiry, with both shifts locked while they swap."""

from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from . import notifications, scheduling
from .choices import ShiftKind, TradeStatus
from .exceptions import TradeError, TradeNeedsConfirmation
from .models import HolidayRecord, HolidayTrade, Shift, TeamMember
from .services import successor_of


def _trade_warning(*, shift: Shift, requester: TeamMember, counterparty: TeamMember, counterparty_shift) -> str:
    """Why the trade would break the holiday window for either person, or "" when it would not."""
    rotation = shift.rotation
    stand_in = successor_of(TeamMember.objects.filter(successor__isnull=False))
    moves = {shift.pk: counterparty.pk}
    if counterparty_shift is not None:
        moves[counterparty_shift.pk] = requester.pk
    holdings = [
        (day, name, stand_in.get(member, member))
        for day, name, member in HolidayRecord.objects.values_list("date", "holiday_name", "member_id")
    ]
    for pk, day, name, member in rotation.shifts.holidays().values_list("pk", "date", "holiday_name", "member_id"):
        member = moves.get(pk, member)
        holdings.append((day, name, stand_in.get(member, member)))
    acquired = [(shift.date, shift.holiday_name, stand_in.get(counterparty.pk, counterparty.pk))]
    if counterparty_shift is not None:
        acquired.append(
            (counterparty_shift.date, counterparty_shift.holiday_name, stand_in.get(requester.pk, requester.pk))
        )
    names = {requester.pk: requester.name, counterparty.pk: counterparty.name}
    names |= {stand_in.get(pk, pk): name for pk, name in list(names.items())}
    sentences = [
        f"{names.get(member, 'Someone')} would hold {name} in {day.year} and in {other.year}, "
        f"within the {rotation.window_years}-year window."
        for (day, name, member), other in scheduling.window_breaches(holdings, acquired, rotation.window_years)
    ]
    return " ".join(sentences)


def _check_tradeable(shift: Shift | None, owner: TeamMember, field: str, now: datetime) -> dict[str, str]:
    if shift is None:
        return {}
    if shift.kind != ShiftKind.HOLIDAY:
        return {field: "Only holiday shifts can be traded; regular shifts follow the rotation."}
    if shift.member_id != owner.pk:
        return {field: f"This shift belongs to {shift.member.name}, not {owner.name}."}
    if shift.start <= now:
        return {field: "This shift has already started or passed."}
    return {}


@transaction.atomic
def holiday_trade_request(
    *,
    requester: TeamMember,
    shift: Shift,
    counterparty: TeamMember,
    counterparty_shift: Shift | None = None,
    message: str = "",
    confirmed: bool = True,
    now: datetime | None = None,
) -> HolidayTrade:
    """Offer one of the requester's future holiday shifts to an active colleague, as a swap or a give-away.

    A trade that would break the holiday window is allowed but carries a warning; with
    `confirmed=False` it raises `TradeNeedsConfirmation` instead, so a form can ask first.
    """
    now = now or timezone.now()
    shift = Shift.objects.select_related("rotation", "member").get(pk=shift.pk)
    if counterparty_shift is not None:
        counterparty_shift = Shift.objects.select_related("rotation", "member").get(pk=counterparty_shift.pk)
    errors = _check_tradeable(shift, requester, "shift", now)
    if counterparty.pk == requester.pk:
        errors["counterparty"] = "Choose a colleague, not yourself."
    elif not counterparty.active:
        errors["counterparty"] = f"{counterparty.name} is not an active member."
    else:
        errors |= _check_tradeable(counterparty_shift, counterparty, "counterparty_shift", now)
        if counterparty_shift is not None and counterparty_shift.rotation_id != shift.rotation_id:
            errors["counterparty_shift"] = "Both shifts must belong to the same rotation."
    if "shift" not in errors and HolidayTrade.objects.filter(shift=shift, status=TradeStatus.PENDING).exists():
        errors["shift"] = "This shift is already offered in a pending trade; cancel that one first."
    if errors:
        raise TradeError(errors)
    warning = _trade_warning(
        shift=shift, requester=requester, counterparty=counterparty, counterparty_shift=counterparty_shift
    )
    if warning and not confirmed:
        raise TradeNeedsConfirmation(warning)
    trade = HolidayTrade(
        shift=shift,
        requested_by=requester,
        counterparty=counterparty,
        counterparty_shift=counterparty_shift,
        message=message,
        warning=warning,
    )
    trade.full_clean()
    try:
        with transaction.atomic():
            trade.save()
    except IntegrityError as error:  # a concurrent request for the same shift won the race
        raise TradeError({"shift": "This shift is already offered in a pending trade."}) from error
    _trade_notify(trade, "requested", [counterparty])
    return trade


def _locked_pending_trade(trade_id: int, member: TeamMember, role: str) -> HolidayTrade:
    trade = HolidayTrade.objects.select_for_update().get(pk=trade_id)
    if getattr(trade, f"{role}_id") != member.pk:
        who = "the colleague it was offered to" if role == "counterparty" else "whoever requested it"
        raise PermissionDenied(f"Only {who} can do that.")
    if trade.status != TradeStatus.PENDING:
        raise TradeError({"status": f"This trade is already {trade.get_status_display().lower()}."})
    return trade


@transaction.atomic
def holiday_trade_accept(*, trade_id: int, member: TeamMember, now: datetime | None = None) -> HolidayTrade:
    """The counterparty accepts: re-check everything under row locks, then hand the shifts over.

    Both shifts are locked first (in id order), then the trade: every acceptance touching a shift
    takes that shift's lock before any trade lock, so racing acceptances queue instead of
    deadlocking, and the second finds the shift moved and fails.
    """
    now = now or timezone.now()
    unlocked = HolidayTrade.objects.filter(pk=trade_id).values("shift_id", "counterparty_shift_id").first()
    if unlocked is None:
        raise HolidayTrade.DoesNotExist(f"No trade {trade_id}.")
    shift_ids = sorted(filter(None, [unlocked["shift_id"], unlocked["counterparty_shift_id"]]))
    shifts = {s.pk: s for s in Shift.objects.select_for_update().filter(pk__in=shift_ids).order_by("pk")}
    trade = _locked_pending_trade(trade_id, member, "counterparty")
    shift = shifts[trade.shift_id]
    counterparty_shift = shifts.get(trade.counterparty_shift_id)
    requester, counterparty = trade.requested_by, trade.counterparty
    errors = _check_tradeable(shift, requester, "shift", now) | _check_tradeable(
        counterparty_shift, counterparty, "counterparty_shift", now
    )
    if not (requester.active and counterparty.active):
        errors["counterparty"] = "Both people must still be active members."
    if errors:
        raise TradeError(errors)
    shift.member, shift.traded = counterparty, True
    changed = [shift]
    if counterparty_shift is not None:
        counterparty_shift.member, counterparty_shift.traded = requester, True
        changed.append(counterparty_shift)
    for item in changed:
        item.warning = trade.warning
    Shift.objects.bulk_update(changed, ["member", "traded", "warning"])
    trade.status, trade.decided_at = TradeStatus.ACCEPTED, now
    trade.save(update_fields=["status", "decided_at"])
    # Other pending offers of these shifts can no longer be honoured.
    overtaken = HolidayTrade.objects.filter(status=TradeStatus.PENDING).filter(
        Q(shift__in=changed) | Q(counterparty_shift__in=changed)
    )
    _trades_close(overtaken.exclude(pk=trade.pk), TradeStatus.CANCELLED, now)
    _trade_notify(trade, "accepted", [requester, counterparty])
    return trade


def holiday_trade_decline(*, trade_id: int, member: TeamMember, now: datetime | None = None) -> HolidayTrade:
    """The counterparty declines a pending trade; the requester is told."""
    return _holiday_trade_close(trade_id, member, "counterparty", TradeStatus.DECLINED, now)


def holiday_trade_cancel(*, trade_id: int, member: TeamMember, now: datetime | None = None) -> HolidayTrade:
    """The requester withdraws a pending trade; the counterparty is told."""
    return _holiday_trade_close(trade_id, member, "requested_by", TradeStatus.CANCELLED, now)


@transaction.atomic
def _holiday_trade_close(trade_id: int, member: TeamMember, role: str, status: str, now: datetime | None):
    """End a pending trade without moving any shift, and tell the other party."""
    trade = _locked_pending_trade(trade_id, member, role)
    trade.status, trade.decided_at = status, now or timezone.now()
    trade.save(update_fields=["status", "decided_at"])
    other = trade.requested_by if role == "counterparty" else trade.counterparty
    _trade_notify(trade, status, [other])
    return trade


@transaction.atomic
def holiday_trades_expire(*, now: datetime) -> int:
    """Pending trades whose shift (or the shift asked for) has started can no longer happen."""
    started = HolidayTrade.objects.filter(status=TradeStatus.PENDING).filter(
        Q(shift__start__lte=now) | Q(counterparty_shift__start__lte=now)
    )
    return _trades_close(started, TradeStatus.EXPIRED, now)


def _trades_close(trades, status: str, now: datetime) -> int:
    """Close each trade with its own save (a few at a time), so the change log records every status change."""
    closed = list(trades.select_for_update(of=("self",)))
    for trade in closed:
        trade.status, trade.decided_at = status, now
        trade.save(update_fields=["status", "decided_at"])
    return len(closed)


def _trade_notify(trade: HolidayTrade, event: str, members: list[TeamMember]) -> None:
    shift, other = trade.shift, trade.counterparty_shift
    offer = f"{shift.holiday_name} ({shift.date:%a %d %b %Y})"
    deal = f"in exchange for {other.holiday_name} ({other.date:%a %d %b %Y})" if other else "as a give-away"
    subjects = {
        "requested": f"{trade.requested_by.name} offers you {offer}",
        "accepted": f"Holiday trade done: {offer}",
        "declined": f"{trade.counterparty.name} declined your trade of {offer}",
        "cancelled": f"{trade.requested_by.name} withdrew the trade of {offer}",
    }
    body = f"{trade.requested_by.name} offered {trade.counterparty.name} {offer} {deal}."
    if trade.message:
        body += f"\n\nMessage: {trade.message}"
    if trade.warning:
        body += f"\n\nNote: {trade.warning}"
    notifications.notify(
        event=f"trade-{trade.pk}-{event}",
        kind=f"oncall.trade-{event}",
        recipients=notifications.recipients_of(members),
        subject=subjects[event],
        body=body,
        about=f"Holiday trade #{trade.pk}",
        about_url=reverse("oncall:trade-list"),
    )
