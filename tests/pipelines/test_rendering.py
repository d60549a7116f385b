from pipelines.rendering import link_target, render_markdown


def known(slug):
    return f"/runbooks/{slug}/" if slug == "profit-pipeline" else None


def test_render_markdown_strips_scripts_and_event_handlers():
    html = render_markdown(
        "Hello <script>alert('x')</script> <img src=x onerror=alert(1)> <a href=\"javascript:alert(1)\">j</a>"
        " [m](javascript:alert(2)) <iframe src=//evil></iframe> <b onclick=x>b</b>"
    )
    lowered = html.lower()
    for forbidden in ("<script", "onerror", "onclick", "javascript:", "<iframe", "<img"):
        assert forbidden not in lowered
    assert "Hello" in html


def test_render_markdown_points_plan_anchors_at_runbook_pages():
    html = render_markdown("If it fails, contact the [Profit Pipeline owners](#profit-pipeline)", known)
    assert '<a href="/runbooks/profit-pipeline/"' in html


def test_render_markdown_keeps_unknown_anchors_and_fixes_malformed_external_links():
    html = render_markdown("[x](#not-a-pipeline) and [Docs](#https://learn.microsoft.com/a/b)", known)
    assert 'href="#not-a-pipeline"' in html
    assert 'href="https://learn.microsoft.com/a/b"' in html


def test_render_markdown_renders_nested_lists():
    html = render_markdown("- one\n    - nested\n- two")
    assert html.count("<ul>") == 2 and "<li>nested</li>" in html


def test_render_markdown_nests_lists_at_the_parents_text_column():
    # Two spaces under "- " and three under "1. " nest in CommonMark, as the plan writes them.
    html = render_markdown("- aliases:\n  - transaction_id\n  - date\n\n1. first\n   - detail")
    assert html.count("<ul>") == 3
    assert "aliases:\n<ul>\n<li>transaction_id</li>" in html


def test_link_target_leaves_ordinary_links_alone():
    assert link_target("https://example.com/#x", known) == "https://example.com/#x"
    assert link_target("#profit-pipeline", known) == "/runbooks/profit-pipeline/"


def test_render_markdown_inline_drops_the_single_paragraph():
    from pipelines.rendering import render_markdown_inline

    assert render_markdown_inline("pipeline *fails*") == "pipeline <em>fails</em>"
    assert render_markdown_inline("one\n\ntwo").count("<p>") == 2
