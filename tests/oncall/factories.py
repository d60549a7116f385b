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
