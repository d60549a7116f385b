from io import StringIO

import pytest
from django.core.management import call_command

from incidents.models import Incident
from pipelines.models import Run
from sla.models import SlaReport

pytestmark = pytest.mark.django_db


def test_demo_history_is_labelled_computed_and_loaded_once(imported_seed):
    out = StringIO()
    call_command("load_demo_history", "--months", "2", stdout=out)
    assert "demo runs" in out.getvalue()
    runs = Run.objects.count()
    assert runs > 8 * 28
    assert not Run.objects.exclude(external_id__startswith="demo-").exists()
    assert not Incident.objects.exclude(title__startswith="[demo]").exists()
    assert SlaReport.objects.values("month").distinct().count() == 2
    call_command("load_demo_history", stdout=StringIO())
    assert Run.objects.count() == runs
