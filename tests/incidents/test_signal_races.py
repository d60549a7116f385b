"""Signals arriving at the same moment, on real PostgreSQL: however many come together, one incident opens."""

import functools

import pytest

from incidents.automatic import alerts_record
from incidents.choices import IncidentStatus
from incidents.models import Incident, IncidentSignal
from pipelines.models import Run
from tests.conftest import NOW
from tests.pipelines.factories import PipelineFactory
from tests.races import postgresql_only, race

from .test_automatic import record

pytestmark = [postgresql_only, pytest.mark.django_db(transaction=True)]

THREADS = 8
ROUNDS = 3  # a lost race is rare in one round and likely over a few


def firing(fingerprint: str, **labels) -> dict:
    return {
        "status": "firing",
        "labels": {"alertname": "RowsLow", **labels},
        "annotations": {},
        "startsAt": NOW.replace(hour=11),
        "endsAt": None,
        "fingerprint": fingerprint,
    }


def test_failures_of_one_pipeline_arriving_together_open_one_incident_that_counts_them_all():
    for round_ in range(ROUNDS):
        pipeline = PipelineFactory()
        outcomes = race([functools.partial(record, pipeline, f"failed-{n}", "failed") for n in range(THREADS)])
        assert all(isinstance(outcome, Run) for outcome in outcomes), outcomes
        incident = Incident.objects.get(pipeline=pipeline)
        assert incident.signal_count == THREADS == incident.signals.count(), round_


def test_alerts_about_no_known_pipeline_arriving_together_open_one_team_level_incident():
    for round_ in range(ROUNDS):
        outcomes = race(
            [
                functools.partial(alerts_record, alerts=[firing(f"r{round_}-a{n}", pipeline="retired")], now=NOW)
                for n in range(THREADS)
            ]
        )
        assert all(isinstance(outcome, dict) for outcome in outcomes), outcomes
        assert sorted(outcome["opened"] for outcome in outcomes) == [0] * (THREADS - 1) + [1], round_
        incident = Incident.objects.get(pipeline=None, status=IncidentStatus.OPEN)
        assert incident.signal_count == THREADS == incident.signals.count()
        Incident.objects.filter(pk=incident.pk).delete()  # the next round starts with none open


def test_one_alert_delivered_again_while_the_first_delivery_is_recorded_counts_once():
    # Alertmanager retries a webhook it thinks timed out, so the same alert can arrive twice at once.
    outcomes = race([functools.partial(alerts_record, alerts=[firing("same")], now=NOW)] * THREADS)
    assert all(isinstance(outcome, dict) for outcome in outcomes), outcomes
    assert sorted(outcome["opened"] for outcome in outcomes) == [0] * (THREADS - 1) + [1]
    assert IncidentSignal.objects.count() == 1 and Incident.objects.get().signal_count == 1
