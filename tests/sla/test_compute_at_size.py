"""`compute_sla` in a fixed number of queries: escalations in bulk, the command's summary from one query."""

from datetime import UTC, date, datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from oncall.models import Notification
from pipelines.models import SlaPolicy
from sla.models import SlaEscalation
from sla.services import sla_month_compute
from tests.oncall.factories import TeamMemberFactory
from tests.pipelines.factories import DownstreamTeamFactory, PipelineFactory

pytestmark = pytest.mark.django_db

MONTH = date(2026, 10, 1)
AFTER = datetime(2026, 11, 2, tzinfo=UTC)


def silent_pipelines(count: int, prefix: str):
    """Pipelines that never ran in October: each breaches availability and timeliness."""
    return [
        PipelineFactory(name=f"{prefix} {n:02d}", slug=f"{prefix}-{n:02d}", schedule="0 6 * * *") for n in range(count)
    ]


def test_the_first_computation_escalates_every_breach_in_the_same_queries_for_3_or_12_pipelines():
    TeamMemberFactory(is_manager=True, email="boss@example.com")
    SlaPolicy.current()  # stored once, before either count
    counts = []
    for size, month in ((3, date(2026, 9, 1)), (12, MONTH)):
        silent_pipelines(size - len(counts) * 3, f"p{size}")  # 3, then 9 more
        with CaptureQueriesContext(connection) as queries:
            sla_month_compute(month=month, now=AFTER)
        counts.append(len(queries))
        escalations = SlaEscalation.objects.filter(month=month)
        assert escalations.count() == 2 * size  # availability and timeliness of each
        assert set(escalations.values_list("dimension", flat=True)) == {"availability", "timeliness"}
        # The manager and each pipeline's downstream lead, once per breach.
        mails = Notification.objects.filter(key__startswith="sla-escalation-", key__contains=f"{month:%Y-%m}")
        assert mails.filter(recipient="boss@example.com").count() == 2 * size
        assert mails.exclude(recipient="boss@example.com").count() == 2 * size
    assert counts[0] == counts[1]


def test_escalations_name_who_has_no_address_and_are_sent_once():
    team = DownstreamTeamFactory(name="Finance", lead_email="")
    PipelineFactory(name="Quiet", schedule="0 6 * * *", critical_downstream_team=team)
    sla_month_compute(month=MONTH, now=AFTER)
    sla_month_compute(month=MONTH, now=AFTER)
    escalation = SlaEscalation.objects.get(dimension="availability")
    assert escalation.missing == "no Data Engineering Manager address; no lead on file for the Finance team"
    assert escalation.recipients == []
    assert SlaEscalation.objects.count() == 2


def test_the_command_summarises_the_month_from_the_stored_reports():
    TeamMemberFactory(is_manager=True, email="boss@example.com")
    silent_pipelines(2, "quiet")
    out = StringIO()
    with CaptureQueriesContext(connection) as queries:
        call_command("compute_sla", "--month", "2026-10", stdout=out)
    assert out.getvalue().splitlines() == [
        "2026-10: 2 pipelines, 0 compliant.",
        "  quiet 00: breaches availability, timeliness",
        "  quiet 01: breaches availability, timeliness",
    ]
    summary = [q for q in queries.captured_queries if q["sql"].startswith('SELECT "pipelines_pipeline"."name"')]
    assert len(summary) == 1
