"""Reusable reads of the on-call app: who is on call, rotation orders, trades with their details."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import OuterRef, Prefetch, Subquery, Value
from django.db.models.functions import Coalesce

from .models import HolidayTrade, Rotation, RotationMembership, Shift


@dataclass(frozen=True)
class OnCall:
    """A rotation's shift now, and the next shift that hands it to somebody else."""

    rotation: Rotation
    current: Shift | None
    next: Shift | None


def on_call_now(now: datetime) -> list[OnCall]:
    """Each rotation's current shift and next handoff, in two queries however many rotations there are."""
    covering = Shift.objects.covering(now).filter(rotation=OuterRef("pk"))
    rotations = list(
        Rotation.objects.annotate(
            current_shift_id=Subquery(covering.values("pk")[:1]),
            current_member_id=Subquery(covering.values("member_id")[:1]),
        ).annotate(
            next_shift_id=Subquery(
                Shift.objects.filter(rotation=OuterRef("pk"), start__gt=now)
                # Member ids start at 1, so 0 means "no current shift": then any later shift is next.
                .exclude(member_id=Coalesce(OuterRef("current_member_id"), Value(0)))
                .order_by("start")
                .values("pk")[:1]
            )
        )
    )
    wanted = {r.current_shift_id for r in rotations} | {r.next_shift_id for r in rotations}
    shifts = Shift.objects.select_related("member__user").in_bulk(wanted - {None})
    return [OnCall(r, shifts.get(r.current_shift_id), shifts.get(r.next_shift_id)) for r in rotations]


def current_order() -> Prefetch:
    """A rotation's current memberships, first position first, as `rotation.current_memberships`."""
    return Prefetch(
        "memberships",
        queryset=RotationMembership.objects.filter(ends_on__isnull=True)
        .select_related("member__user")
        .order_by("position"),
        to_attr="current_memberships",
    )


def holiday_trades():
    """Trades with everything a list shows about them, in one query."""
    return HolidayTrade.objects.select_related(
        "shift__rotation", "counterparty_shift__rotation", "requested_by__user", "counterparty__user"
    )
