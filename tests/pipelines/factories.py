from datetime import UTC, datetime, timedelta

import factory

from pipelines.choices import OwnerRole, RunStatus
from pipelines.models import DownstreamTeam, Ownership, Pipeline, Run
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


class RunFactory(factory.django.DjangoModelFactory):
    """A run of the 06:00 schedule on Tuesday 24 November 2026; a successful one finishes an hour after.

    No start, data time or record counts unless given; `reported=True` adds clean counts (1000 records, none bad).
    """

    class Meta:
        model = Run

    class Params:
        reported = factory.Trait(records_total=1000, records_dropped=0, records_invalid=0, critical_nulls=0)

    pipeline = factory.SubFactory(PipelineFactory)
    external_id = factory.Sequence(lambda n: f"run-{n}")
    scheduled_for = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
    status = RunStatus.SUCCESS
    finished_at = factory.LazyAttribute(
        lambda o: o.scheduled_for + timedelta(hours=1) if o.status == RunStatus.SUCCESS else None
    )
