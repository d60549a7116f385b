"""Browser tests: Playwright drives the system Chromium against pytest-django's live server.

Run with the rest of the suite; without Chromium (or Playwright) they are skipped and say why.
"""

from collections.abc import Callable, Iterator

import pytest


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
