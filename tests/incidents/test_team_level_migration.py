"""Automatic team-level incidents opened together before the constraint (migration 0006) are all kept."""

from datetime import UTC, datetime

import pytest

from incidents.models import Incident
from tests.migrating import migrate, migrate_to_the_latest


@pytest.mark.django_db(transaction=True)
def test_the_first_open_one_keeps_gathering_signals_and_the_others_stay_open_as_ordinary_incidents():
    old = migrate([("incidents", "0005_incidents_open_first_index")])
    OldIncident = old.get_model("incidents", "Incident")  # the model as it was
    for minute, status, title in ((5, "open", "second"), (1, "open", "first"), (0, "resolved", "over")):
        at = datetime(2026, 11, 25, 10, minute, tzinfo=UTC)
        ends = {"acknowledged_at": at, "resolved_at": at} if status == "resolved" else {}
        OldIncident.objects.create(title=title, severity="minor", detected_at=at, automatic=True, status=status, **ends)
    migrate_to_the_latest()

    kept = dict(Incident.objects.values_list("title", "automatic"))
    assert kept == {"first": True, "second": False, "over": True}
    assert Incident.objects.unresolved().count() == 2
