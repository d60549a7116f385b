import os
from collections.abc import Iterator
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command
from rest_framework.test import APIClient

from tests.oncall.factories import TeamMemberFactory

SEED_PLAN = Path(__file__).resolve().parent.parent / "data" / "maintenance-plan.md"

# The instant every test runs at, whatever the real date: a Wednesday in the team's first month.
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def clock(request) -> Iterator[time_machine.Traveller]:
    """The one clock of the suite: frozen at NOW; a test moves it with `clock.move_to(...)`.

    Browser, worker and Alertmanager tests keep it ticking from NOW, since Chromium, the live server,
    Celery and Alertmanager wait on real time passing.
    """
    ticking = any(request.node.get_closest_marker(name) for name in ("browser", "celery_worker", "alertmanager"))
    with time_machine.travel(NOW, tick=ticking) as traveller:
        yield traveller


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


# --- browser tests: Playwright drives the system Chromium ----------------------------------------

CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# No sandbox inside containers; nothing fetched behind the test's back.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(autouse=True)
def allow_database_under_playwright(request, monkeypatch):
    """Playwright's sync API runs an event loop in the test's thread, and Django refuses ORM calls beside one."""
    if request.node.get_closest_marker("browser"):
        monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def chromium_browser() -> Iterator:
    """The system Chromium, started for one test and closed after it."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed: browser test skipped")
    if not os.access(CHROMIUM_PATH, os.X_OK):
        pytest.skip(
            f"no Chromium at {CHROMIUM_PATH}: browser test skipped (apt-get install chromium, or set CHROMIUM_PATH)"
        )
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
