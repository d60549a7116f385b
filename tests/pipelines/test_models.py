import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from pipelines.choices import OwnerRole
from pipelines.models import Ownership
from tests.oncall.factories import TeamMemberFactory
from tests.pipelines.factories import PipelineFactory

pytestmark = pytest.mark.django_db


def test_ownership_allows_only_one_primary_owner():
    pipeline = PipelineFactory(secondary=False)
    with pytest.raises(IntegrityError), transaction.atomic():
        Ownership.objects.create(pipeline=pipeline, member=TeamMemberFactory(), role=OwnerRole.PRIMARY)


def test_ownership_allows_at_most_one_secondary_owner():
    pipeline = PipelineFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Ownership.objects.create(pipeline=pipeline, member=TeamMemberFactory(), role=OwnerRole.SECONDARY)


def test_ownership_never_names_the_same_person_twice():
    primary = TeamMemberFactory()
    pipeline = PipelineFactory(primary=primary, secondary=False)
    with pytest.raises(IntegrityError), transaction.atomic():
        Ownership.objects.create(pipeline=pipeline, member=primary, role=OwnerRole.SECONDARY)


def test_ownership_role_is_checked_by_the_database():
    pipeline = PipelineFactory(secondary=False)
    with pytest.raises(IntegrityError), transaction.atomic():
        Ownership.objects.create(pipeline=pipeline, member=TeamMemberFactory(), role="tertiary")


def test_pipeline_clean_rejects_an_invalid_cron_schedule():
    pipeline = PipelineFactory.build(schedule="every day at noon")
    with pytest.raises(ValidationError) as error:
        pipeline.clean()
    assert "schedule" in error.value.message_dict


def test_pipeline_defaults_to_daily_schedule_and_standard_critical_fields():
    pipeline = PipelineFactory()
    assert pipeline.schedule == "0 0 * * *"
    assert pipeline.critical_fields == ["transaction_id", "date", "amount"]
