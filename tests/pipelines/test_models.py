import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from pipelines.choices import OwnerRole
from pipelines.models import Ownership, Run
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


def test_pipeline_full_clean_rejects_an_invalid_cron_schedule():
    pipeline = PipelineFactory.build(schedule="every day at noon")
    with pytest.raises(ValidationError) as error:
        pipeline.full_clean()
    assert "schedule" in error.value.message_dict


def test_pipeline_defaults_to_daily_schedule_and_standard_critical_fields():
    pipeline = PipelineFactory()
    assert pipeline.schedule == "0 0 * * *"
    assert pipeline.critical_fields == ["transaction_id", "date", "amount"]


@pytest.mark.parametrize(
    ("values", "constraint"),
    [
        ({"started_at": "2026-11-24T06:00:00Z", "data_available_at": "2026-11-24T05:59:00Z"}, "data_after_start"),
        ({"status": "success", "finished_at": None}, "success_has_finish"),
        ({"scheduled_for": "0001-01-01T00:00:00Z", "status": "failed", "finished_at": None}, "in_supported_years"),
        ({"finished_at": "9999-12-31T00:00:00Z"}, "finished_at_near_schedule"),
        ({"started_at": "2026-11-22T06:00:00Z", "finished_at": None, "status": "failed"}, "started_at_near_schedule"),
    ],
)
def test_run_rules_are_database_constraints_too(values, constraint):
    """The shell, a task or a bulk insert skip `full_clean()`; the database still refuses the row."""
    fields = {
        "pipeline": PipelineFactory(),
        "external_id": "r1",
        "scheduled_for": "2026-11-24T06:00:00Z",
        "status": "success",
        "finished_at": "2026-11-24T07:00:00Z",
        **values,
    }
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        Run.objects.bulk_create([Run(**fields)])
