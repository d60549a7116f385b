"""Fixtures shared by the incident tests."""

from datetime import UTC, datetime, time, timedelta

import pytest
from django.utils import timezone

from oncall.models import Rotation, RotationMembership
from oncall.services import rotation_generate
from tests.oncall.factories import TeamMemberFactory
from tests.pipelines.factories import PipelineFactory


@pytest.fixture
def on_call_team():
    """A two-person rotation with shifts from last week through the next fortnight."""
    today = timezone.localdate()
    monday = today - timedelta(days=today.weekday() + 7)
    rotation = Rotation.objects.create(name="Team", start_date=monday)
    for position, person in enumerate(TeamMemberFactory.create_batch(2)):
        RotationMembership.objects.create(rotation=rotation, member=person, position=position)
    rotation_generate(
        rotation_id=rotation.pk, until=today + timedelta(days=14), now=datetime.combine(monday, time(), UTC)
    )
    return rotation


@pytest.fixture
def pipeline():
    return PipelineFactory(name="Profit Pipeline", slug="profit-pipeline")
