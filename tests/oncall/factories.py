import factory
from django.contrib.auth import get_user_model

from oncall.models import TeamMember
from oncall.people import login_username


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


# --- rotations and shifts (imports local: this block is appended to a shared file) ----------------


class RotationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "oncall.Rotation"

    name = factory.Sequence(lambda n: f"Rotation {n}")

    @factory.lazy_attribute
    def start_date(self):
        from datetime import date

        return date(2026, 11, 23)  # a Monday


class RotationMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "oncall.RotationMembership"

    rotation = factory.SubFactory(RotationFactory)
    member = factory.SubFactory(TeamMemberFactory)
    position = factory.Sequence(lambda n: n)


class ShiftFactory(factory.django.DjangoModelFactory):
    """One day's shift; `start` and `end` follow the rotation's zone and handoff like generated shifts."""

    class Meta:
        model = "oncall.Shift"

    rotation = factory.SubFactory(RotationFactory)
    member = factory.SubFactory(TeamMemberFactory)

    @factory.lazy_attribute_sequence
    def date(self, n):
        from datetime import timedelta

        return self.rotation.start_date + timedelta(days=n)

    @factory.lazy_attribute
    def start(self):
        from oncall.scheduling import shift_bounds

        return shift_bounds(self.date, self.rotation.time_zone, self.rotation.handoff_time)[0]

    @factory.lazy_attribute
    def end(self):
        from oncall.scheduling import shift_bounds

        return shift_bounds(self.date, self.rotation.time_zone, self.rotation.handoff_time)[1]
