"""Getting in, clicked through in a real browser: password reset, an invitation, single sign-on.

Emails are read from the files Django's file backend writes, as a newcomer running `make run` would.
"""

import email
import re
from pathlib import Path

import pytest

from tests.oncall.factories import TeamMemberFactory

PASSWORD = "a-long-test-passphrase"
NEW_PASSWORD = "another-long-passphrase"
SEPARATOR = b"\n" + b"-" * 79 + b"\n"


@pytest.fixture
def mailbox(settings, tmp_path, live_server) -> Path:
    """Email goes to files under a fresh folder; links in it point at the live server."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    settings.PORTAL_BASE_URL = live_server.url
    return tmp_path / "mail"


def emails_in(mailbox: Path) -> list[email.message.Message]:
    messages = []
    for path in sorted(mailbox.glob("*.log")):
        for chunk in path.read_bytes().split(SEPARATOR):
            if chunk.strip():
                messages.append(email.message_from_bytes(chunk))
    return messages


def link_in(message: email.message.Message, live_server) -> str:
    body = message.get_payload(decode=True).decode()
    return re.search(rf"{re.escape(live_server.url)}/accounts/\S+/", body)[0]


@pytest.fixture
def browser_page(chromium_browser, live_server):
    contexts = []

    def new_page():
        context = chromium_browser.new_context(locale="en-GB", timezone_id="UTC", base_url=live_server.url)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield new_page
    for context in contexts:
        context.close()


def choose_password(page, password: str, button: str) -> None:
    page.get_by_label("New password:", exact=True).fill(password)
    page.get_by_label("New password confirmation:", exact=True).fill(password)
    page.get_by_role("button", name=button).click()


@pytest.mark.browser
def test_member_resets_a_forgotten_password(transactional_db, live_server, mailbox, browser_page):
    expect = pytest.importorskip("playwright.sync_api").expect
    member = TeamMemberFactory(name="Jasmine Glancy", email="jasmine.glancy@example.com")
    member.user.set_password(PASSWORD)
    member.user.save()

    page = browser_page()
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email").fill("Jasmine.Glancy@example.com")
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

    [message] = emails_in(mailbox)
    assert message["To"] == "jasmine.glancy@example.com"
    link = link_in(message, live_server)
    page.goto(link)
    choose_password(page, NEW_PASSWORD, "Set my password")
    expect(page.get_by_role("heading", name="Your password is changed")).to_be_visible()

    page.get_by_role("link", name="Sign in").click()
    page.get_by_label("Username").fill("jasmine.glancy")
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")

    page.goto(link)
    expect(page.get_by_role("heading", name="This link no longer works")).to_be_visible()


@pytest.mark.browser
def test_manager_invites_a_member_who_sets_a_password_and_gets_in(
    transactional_db, live_server, mailbox, browser_page, signed_in_page
):
    expect = pytest.importorskip("playwright.sync_api").expect
    leader = TeamMemberFactory(name="Hudson King", is_manager=True)
    leader.user.set_password(PASSWORD)
    leader.user.save()
    TeamMemberFactory(name="Nina Newcomer", email="nina@example.com")

    manager_page = signed_in_page("hudson.king", PASSWORD)
    manager_page.get_by_role("link", name="Team").click()
    members = manager_page.get_by_role("table", name="Team members")
    nina_row = members.get_by_role("row").filter(has_text="Nina Newcomer")
    expect(nina_row).to_contain_text("not signed in yet")
    nina_row.get_by_role("button", name="Invite Nina Newcomer").click()
    expect(manager_page.get_by_role("status")).to_contain_text("Invitation sent to Nina Newcomer at nina@example.com.")

    [message] = emails_in(mailbox)
    assert message["To"] == "nina@example.com" and "Hudson King invites you" in message["Subject"]
    page = browser_page()
    page.goto(link_in(message, live_server))
    expect(page.get_by_role("heading", name="Welcome to the Pipeline Ops Portal")).to_be_visible()
    choose_password(page, NEW_PASSWORD, "Set my password and sign in")
    page.wait_for_url(f"{live_server.url}/")
    expect(page.get_by_role("status")).to_contain_text("Welcome, Nina Newcomer.")

    manager_page.reload()
    expect(members.get_by_role("row").filter(has_text="Nina Newcomer")).not_to_contain_text("not signed in yet")


@pytest.mark.browser
def test_member_signs_in_with_single_sign_on(transactional_db, live_server, sso, browser_page):
    expect = pytest.importorskip("playwright.sync_api").expect
    TeamMemberFactory(name="Jasmine Glancy", email="jasmine.glancy@example.com")
    sso.sign_in_as("Jasmine.Glancy@example.com")
    page = browser_page()
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Sign in with single sign-on").click()
    page.wait_for_url(f"{live_server.url}/")
    expect(page.get_by_title("My account")).to_have_text("jasmine.glancy")

    sso.sign_in_as("stranger@example.com")
    page = browser_page()
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Sign in with single sign-on").click()
    expect(page.get_by_role("heading", name="You are not a member of the team")).to_be_visible()
