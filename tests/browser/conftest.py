"""Browser tests: Playwright drives the system Chromium against pytest-django's live server.

Run with the rest of the suite; without Chromium (or Playwright) they are skipped and say why.
"""

import os
from collections.abc import Callable, Iterator

import pytest

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
def allow_database_under_playwright(monkeypatch):
    """Playwright's sync API runs an event loop in the test's thread, and Django refuses ORM calls beside one."""
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


@pytest.fixture
def signed_in_page(chromium_browser, live_server) -> Iterator[Callable]:
    """`signed_in_page(username, password)`: a fresh browser window signed in through the real sign-in page."""
    contexts = []

    def sign_in(username: str, password: str):
        context = chromium_browser.new_context(locale="en-GB", timezone_id="UTC", base_url=live_server.url)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{live_server.url}/")
        return page

    yield sign_in
    for context in contexts:
        context.close()
