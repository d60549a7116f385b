"""The benchmark estate: labelled, complete, and only ever built in an empty database."""

import re
from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from incidents.models import Incident
from oncall.models import Rotation, Shift, TeamMember
from pipelines.choices import RunStatus
from pipelines.models import DelayRule, Pipeline, Run
from sla.models import SlaReport

pytestmark = pytest.mark.django_db


def load(**sizes):
    options = {"pipelines": 6, "members": 4, "months": 2, "incidents": 40, "open_incidents": 5, "years_ahead": 1}
    options.update(sizes)
    out = StringIO()
    call_command("load_scale_data", *[f"--{k.replace('_', '-')}={v}" for k, v in options.items()], stdout=out)
    return out.getvalue()


def test_load_scale_data_builds_a_labelled_estate_with_history():
    output = load(pipelines=20)
    pipelines = list(Pipeline.objects.prefetch_related("ownerships"))
    assert len(pipelines) == 20 and TeamMember.objects.count() == 4
    assert all(p.name.startswith("Scale Pipeline ") and "load_scale_data" in p.description for p in pipelines)
    assert all(p.primary_owner is not None for p in pipelines)
    assert all(re.fullmatch(r"0 (\*|[0-6]) \* \* \*", p.schedule) for p in pipelines)
    # Two months of runs (October and November 2026 up to two hours before the frozen clock).
    runs = Run.objects.all()
    assert runs.filter(external_id__startswith="scale-").count() == runs.count() > 20 * 50
    assert runs.earliest("scheduled_for").scheduled_for.date() >= date(2026, 10, 1)
    assert runs.filter(status=RunStatus.FAILED).exists()
    assert all(run.scheduled_for.month in (10, 11) for run in runs.only("scheduled_for")[:500])
    # The rotation is planned a year ahead, every day covered once.
    rotation = Rotation.objects.get()
    shifts = rotation.shifts.order_by("date")
    assert shifts.last().date == date(2027, 11, 25)
    assert shifts.count() == len({s.date for s in shifts})
    assert Shift.objects.filter(kind="holiday").exists()
    assert Incident.objects.count() == 40
    assert Incident.objects.exclude(status="resolved").count() == 5
    assert all(title.startswith("[scale]") for title in Incident.objects.values_list("title", flat=True))
    assert SlaReport.objects.filter(month__in=[date(2026, 10, 1), date(2026, 11, 1)]).count() == 40
    # Some runbooks name an outside contact for data days late, so the delay-contact job has work.
    rules = DelayRule.objects.select_related("contact")
    assert 0 < rules.count() < 20
    assert all(
        rule.contact.name.startswith("Bench Contact ") and rule.days_after_deadline in (1, 2, 3) for rule in rules
    )
    assert "20 pipelines, 4 members" in output and "40 incidents (5 open)" in output


@pytest.mark.django_db(transaction=True)  # flush cannot run inside the test's transaction on PostgreSQL
def test_load_scale_data_is_the_same_estate_for_the_same_seed():
    load()
    first = list(Run.objects.order_by("pipeline__slug", "scheduled_for").values_list("status", "records_dropped"))
    call_command("flush", "--no-input", stdout=StringIO())
    load()
    assert (
        list(Run.objects.order_by("pipeline__slug", "scheduled_for").values_list("status", "records_dropped")) == first
    )


def test_load_scale_data_refuses_a_database_that_has_pipelines(imported_seed):
    with pytest.raises(CommandError, match="empty database; this one has 8 pipelines and 4 members"):
        load()
    assert not Run.objects.exists()


@pytest.mark.parametrize("sizes", [{"pipelines": 0}, {"members": 1}, {"open_incidents": 50}])
def test_load_scale_data_refuses_sizes_it_cannot_build(sizes):
    with pytest.raises(CommandError, match="Needs at least"):
        load(**sizes)
    assert not Pipeline.objects.exists()
