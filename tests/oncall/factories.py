from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from oncall.choices import ShiftKind, TradeStatus
from oncall.models import HolidayTrade, Rotation, RotationMembership, Shift, TeamMember
from oncall.people import login_username
from oncall.scheduling import shift_bounds
from oncall.services import rotation_generate


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user.{n}")
    password = factory.django.Password("pass-word-123")


class TeamMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TeamMember

    name = factory.Sequence(lambda n: f"Member Number{n}")
    user = factory.LazyAttribute(lambda o: UserFactory(username=login_username(o.name)))
    email = factory.LazyAttribute(lambda o: f"{login_username(o.name)}@example.com")
    area = "Growth & Experiments"
    expertise = "Pipelines"


# --- rotations and shifts ------------------------------------------------------------------------

MONDAY = date(2026, 11, 23)  # the Monday of the suite's week (tests/conftest.py's NOW)


class RotationFactory(factory.django.DjangoModelFactory):
    """A rotation without members, starting on the Monday of the suite's week; `rotation_with` adds them."""

    class Meta:
        model = Rotation

    name = factory.Sequence(lambda n: f"Rotation {n}")
    start_date = MONDAY


class RotationMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RotationMembership

    rotation = factory.SubFactory(RotationFactory)
    member = factory.SubFactory(TeamMemberFactory)
    position = factory.Sequence(lambda n: n)


def rotation_with(
    members: Iterable[TeamMember],
    *,
    start: date = MONDAY,
    generate_until: date | None = None,
    from_start: bool = False,
    **fields,
) -> Rotation:
    """A rotation of `members` in the order given (positions 0, 1, …), from `start`.

    With `generate_until` its shifts are planned through that day, as the service plans them now, or,
    with `from_start`, as it would have on the rotation's first midnight, so the days before today
    are planned too. Other keywords are the rotation's fields.
    """
    rotation = RotationFactory(start_date=start, **fields)
    for position, member in enumerate(members):
        RotationMembershipFactory(rotation=rotation, member=member, position=position)
    if generate_until is not None:
        now = datetime.combine(start, time(), rotation.tz) if from_start else timezone.now()
        rotation_generate(rotation_id=rotation.pk, until=generate_until, now=now)
    return rotation


class ShiftFactory(factory.django.DjangoModelFactory):
    """One day's shift; `start` and `end` follow the rotation's zone and handoff like generated shifts."""

    class Meta:
        model = Shift

    rotation = factory.SubFactory(RotationFactory)
    member = factory.SubFactory(TeamMemberFactory)

    @factory.lazy_attribute_sequence
    def date(self, n):
        return self.rotation.start_date + timedelta(days=n)

    @factory.lazy_attribute
    def start(self):
        return shift_bounds(self.date, self.rotation.time_zone, self.rotation.handoff_time)[0]

    @factory.lazy_attribute
    def end(self):
        return shift_bounds(self.date, self.rotation.time_zone, self.rotation.handoff_time)[1]


# --- holiday trades ------------------------------------------------------------------------------


class HolidayTradeFactory(factory.django.DjangoModelFactory):
    """A give-away of a holiday shift (Christmas Day 2026 unless told) from its holder to a colleague.

    Pending unless a `status` is given; a decided trade is decided now. Pass `counterparty_shift` for a swap.
    """

    class Meta:
        model = HolidayTrade

    shift = factory.SubFactory(
        ShiftFactory, date=date(2026, 12, 25), kind=ShiftKind.HOLIDAY, holiday_name="Christmas Day"
    )
    requested_by = factory.SelfAttribute("shift.member")
    counterparty = factory.SubFactory(TeamMemberFactory)
    status = TradeStatus.PENDING
    decided_at = factory.LazyAttribute(lambda o: None if o.status == TradeStatus.PENDING else timezone.now())
