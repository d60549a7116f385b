import factory

from pipelines.choices import OwnerRole
from pipelines.models import DownstreamTeam, Ownership, Pipeline
from tests.oncall.factories import TeamMemberFactory


class DownstreamTeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DownstreamTeam
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Team {n}")
    lead_name = "Lee Lead"
    lead_email = "lead@example.com"


class PipelineFactory(factory.django.DjangoModelFactory):
    """A pipeline with a primary and a secondary owner (pass `secondary=False` for none)."""

    class Meta:
        model = Pipeline
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Pipeline {n}")
    slug = factory.Sequence(lambda n: f"pipeline-{n}")
    description = "Loads data."
    critical_downstream_team = factory.SubFactory(DownstreamTeamFactory)

    @factory.post_generation
    def primary(self, create, extracted, **kwargs):
        if create:
            Ownership.objects.create(pipeline=self, member=extracted or TeamMemberFactory(), role=OwnerRole.PRIMARY)

    @factory.post_generation
    def secondary(self, create, extracted, **kwargs):
        if create and extracted is not False:
            Ownership.objects.create(pipeline=self, member=extracted or TeamMemberFactory(), role=OwnerRole.SECONDARY)
