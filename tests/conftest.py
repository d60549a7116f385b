from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from tests.oncall.factories import TeamMemberFactory

SEED_PLAN = Path(__file__).resolve().parent.parent / "data" / "maintenance-plan.md"


@pytest.fixture
def seed_plan_text() -> str:
    return SEED_PLAN.read_text()


@pytest.fixture
def imported_seed(db):
    """The team's plan imported as `make run` does."""
    call_command("import_runbook", str(SEED_PLAN), stdout=StringIO())


@pytest.fixture
def member(db):
    return TeamMemberFactory()


@pytest.fixture
def manager(db):
    return TeamMemberFactory(is_manager=True)


@pytest.fixture
def member_client(client, member):
    client.force_login(member.user)
    return client


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager.user)
    return client


@pytest.fixture
def api(member):
    """An API client signed in as an ordinary member."""
    client = APIClient()
    client.force_authenticate(member.user)
    return client


@pytest.fixture
def manager_api(manager):
    """An API client signed in as a team leader."""
    client = APIClient()
    client.force_authenticate(manager.user)
    return client
