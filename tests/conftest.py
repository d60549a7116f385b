import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path

import pytest
import time_machine
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from portal.celery import app as celery_app
from tests.oncall.factories import TeamMemberFactory, rotation_with
from tests.pipelines.factories import PipelineFactory

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


@pytest.fixture(autouse=True)
def empty_cache():
    """Throttle counts never carry over from one test to the next."""
    cache.clear()


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
def service(db):
    """An API client holding a pipeline's service token (`create_service_token`): it may post runs and alerts."""
    out = StringIO()
    call_command("create_service_token", "airflow", stdout=out)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {out.getvalue().split(': ')[1].strip()}")
    return client


@pytest.fixture
def manager_api(manager):
    """An API client signed in as a team leader."""
    client = APIClient()
    client.force_authenticate(manager.user)
    return client


# --- the broker unreachable ---------------------------------------------------------------------

UNREACHABLE_BROKER = "redis://127.0.0.1:1/0"  # a real address nothing listens on


def reset_broker_connections() -> None:
    """Forget the app's pools so the next publish takes kombu's pool for the broker configured now."""
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def broker_down(settings):
    """Celery publishes for real to a broker that refuses connections, with retries off and a short timeout.

    `broker_down.restore()` brings the suite's inline tasks back, as when the broker answers again.
    """
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = UNREACHABLE_BROKER
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 1, "max_retries": 0}
    settings.CELERY_BROKER_CONNECTION_TIMEOUT = 1
    settings.CELERY_BROKER_CONNECTION_RETRY = False
    settings.CELERY_TASK_PUBLISH_RETRY = False
    reset_broker_connections()
    assert celery_app.conf.broker_url == UNREACHABLE_BROKER and not celery_app.conf.task_always_eager

    class Broker:
        @staticmethod
        def restore() -> None:
            settings.CELERY_TASK_ALWAYS_EAGER = True
            reset_broker_connections()

    yield Broker
    reset_broker_connections()


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


# --- single sign-on: a real OpenID Connect provider (oauth2-mock-server, run with node) --------------

OIDC_PROVIDER_DIR = Path(__file__).resolve().parent / "oidc"


class OidcProvider:
    """The running provider: `issuer`, and `sign_in_as(email, verified)` to choose the next identity."""

    def __init__(self, issuer: str, identity_file: Path):
        self.issuer, self.identity_file = issuer, identity_file

    def sign_in_as(self, email: str, *, verified: bool | None = True) -> None:
        # The token's times follow the suite's clock, not the provider's real one.
        now = int(time.time())
        identity = {"email": email, "iat": now, "nbf": now, "exp": now + 3600}
        if verified is not None:
            identity["email_verified"] = verified
        self.identity_file.write_text(json.dumps(identity))


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory) -> Iterator[OidcProvider]:
    """oauth2-mock-server on a free port, installed by `npm ci` in tests/oidc/ if it is not yet."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not (node and npm):
        pytest.fail("the single sign-on tests need node and npm (apt-get install nodejs npm)")
    if not (OIDC_PROVIDER_DIR / "node_modules" / "oauth2-mock-server").is_dir():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=OIDC_PROVIDER_DIR, check=True)
    identity_file = tmp_path_factory.mktemp("oidc") / "identity.json"
    identity_file.write_text("{}")
    process = subprocess.Popen(
        [node, "provider.mjs"],
        cwd=OIDC_PROVIDER_DIR,
        env={**os.environ, "OIDC_IDENTITY_FILE": str(identity_file)},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()
        if not line:
            pytest.fail(f"the OpenID Connect test provider did not start (exit code {process.wait(5)})")
        yield OidcProvider(json.loads(line)["issuer"], identity_file)
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture
def sso(oidc_provider, settings) -> OidcProvider:
    """Single sign-on switched on against the test provider."""
    settings.OIDC_ISSUER = oidc_provider.issuer
    settings.OIDC_CLIENT_ID = "pipeline-ops-portal"
    settings.OIDC_CLIENT_SECRET = "test-client-secret"
    return oidc_provider


@pytest.fixture
def on_call_team():
    """A two-person rotation with shifts from last week through the next fortnight."""
    today = timezone.localdate()
    last_monday = today - timedelta(days=today.weekday() + 7)
    return rotation_with(
        TeamMemberFactory.create_batch(2),
        name="Team",
        start=last_monday,
        generate_until=today + timedelta(days=14),
        from_start=True,
    )


@pytest.fixture
def pipeline():
    return PipelineFactory(name="Profit Pipeline", slug="profit-pipeline")
