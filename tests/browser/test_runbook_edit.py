"""A runbook edited in a real browser by its owner, previewed, saved, and seen in its History."""

import pytest

from pipelines.models import Pipeline
from tests.pipelines.factories import PipelineFactory

PASSWORD = "a-long-test-passphrase"


@pytest.mark.browser
def test_owner_edits_a_runbook_and_sees_it_in_history(transactional_db, live_server, signed_in_page):
    expect = pytest.importorskip("playwright.sync_api").expect
    pipeline = PipelineFactory(
        name="Profit Pipeline",
        slug="profit-pipeline",
        description="Loads profit data.",
        common_issues=[{"text": "Sales data arrives late", "known_issue": False}],
    )
    owner = pipeline.primary_owner
    owner.user.set_password(PASSWORD)
    owner.user.save()

    page = signed_in_page(owner.user.username, PASSWORD)
    page.goto("/runbooks/profit-pipeline/")
    page.get_by_role("link", name="Edit the runbook").click()
    page.get_by_label("What it does").fill("Loads **profit** data nightly.")
    page.get_by_label("Issue 1 is a known issue").check()
    page.get_by_label("Issue 2", exact=True).fill("Header row missing")
    page.get_by_role("button", name="Preview").click()
    preview = page.locator(".runbook-preview")
    expect(preview).to_contain_text("Preview (not saved yet)")
    expect(preview.locator("strong", has_text="profit")).to_be_visible()
    expect(preview.locator("li", has_text="Sales data arrives late")).to_contain_text("Known issue")
    assert Pipeline.objects.get(pk=pipeline.pk).description == "Loads profit data."

    page.get_by_role("button", name="Save the runbook").click()
    page.wait_for_url(f"{live_server.url}/runbooks/profit-pipeline/")
    expect(page.locator(".messages")).to_contain_text("runbook is saved")
    expect(page.locator("#about + p strong")).to_have_text("profit")
    page.get_by_role("link", name="History").click()
    history = page.locator("section.change-log")
    newest = history.locator("tbody tr").first
    expect(newest).to_contain_text(owner.name)
    expect(newest).to_contain_text("page")
    expect(newest.locator("li", has_text="Description")).to_contain_text(
        "Loads profit data. → Loads **profit** data nightly."
    )
    expect(newest.locator("li", has_text="Common issues")).to_contain_text(
        "Sales data arrives late (known issue); Header row missing"
    )
