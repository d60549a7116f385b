from datetime import UTC, datetime

import factory

from incidents.choices import Severity
from incidents.models import Incident
from tests.pipelines.factories import PipelineFactory


class IncidentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Incident

    pipeline = factory.SubFactory(PipelineFactory)
    title = factory.Sequence(lambda n: f"Incident {n}")
    severity = Severity.CRITICAL
    detected_at = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
