import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pipelines.models import Pipeline
from tests.oncall.factories import TeamMemberFactory
from tests.pipelines.factories import PipelineFactory

pytestmark = pytest.mark.django_db


def test_runbook_list_shows_owners_and_downstream_team(member_client, imported_seed):
    response = member_client.get("/runbooks/")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('<td><a href="/runbooks/') == 8
    assert "Miles Lopez" in html and "Profit" in html


def test_runbook_list_search_matches_names_and_text(member_client, imported_seed):
    response = member_client.get("/runbooks/", {"q": "bots"})
    assert [p.slug for p in response.context["pipelines"]] == ["engagement-pipeline"]
    response = member_client.get("/runbooks/", {"q": "investors memory"})
    assert [p.slug for p in response.context["pipelines"]] == ["aggregate-growth-reported-for-investors-pipeline"]
    response = member_client.get("/runbooks/", {"q": "no-such-word"})
    assert list(response.context["pipelines"]) == []
    assert b"No runbook matches." in response.content


def runbook_rows(html: str) -> set[tuple[str, ...]]:
    """The runbook list's rows: link, name, primary owner, secondary owner, downstream team."""
    cell = r"\s*<td>([^<]*)</td>"
    return set(re.findall(rf'<tr>\s*<td><a href="([^"]+)">([^<]+)</a></td>{cell}{cell}{cell}\s*</tr>', html))


def expected_rows(pipelines) -> set[tuple[str, ...]]:
    return {
        (p.get_absolute_url(), p.name, p.primary_owner.name, p.secondary_owner.name, p.critical_downstream_team.name)
        for p in pipelines
    }


def test_runbook_list_query_count_is_flat(member_client, django_assert_max_num_queries):
    pipelines = PipelineFactory.create_batch(3)
    with CaptureQueriesContext(connection) as few:
        html = member_client.get("/runbooks/").content.decode()
    assert runbook_rows(html) == expected_rows(pipelines)
    pipelines += PipelineFactory.create_batch(12)
    with django_assert_max_num_queries(len(few)):
        html = member_client.get("/runbooks/").content.decode()
    assert runbook_rows(html) == expected_rows(pipelines)


def team_rows(html: str) -> dict[str, tuple[list[str], list[str]]]:
    """Each member on the team page, with the links in their primary and secondary owner columns."""
    rows = {}
    for name, cells in re.findall(r'<th scope="row">([^<]+)<.*?</th>(.*?)</tr>', html, re.S):
        *_, primary, secondary = re.findall(r"<td>(.*?)</td>", cells, re.S)
        rows[name.strip()] = (re.findall(r'href="([^"]+)"', primary), re.findall(r'href="([^"]+)"', secondary))
    return rows


def owned_by(members, count: int, offset: int = 0) -> list[Pipeline]:
    """`count` pipelines, each owned by the next of `members` as primary and the one after as secondary."""
    return [
        PipelineFactory(
            name=f"Feed {offset + n:03d}",
            slug=f"feed-{offset + n:03d}",
            primary=members[n % len(members)],
            secondary=members[(n + 1) % len(members)],
        )  # fmt: skip
        for n in range(count)
    ]


def expected_team_rows(member, others, pipelines) -> dict[str, tuple[list[str], list[str]]]:
    """The first three of each role by name, then the link to all of the member's runbooks when there are more."""
    rows = {}
    for person in [member, *others]:
        columns = []
        for role in ("primary", "secondary"):
            owned = sorted((p for p in pipelines if getattr(p, f"{role}_owner") == person), key=lambda p: p.name)
            links = [p.get_absolute_url() for p in owned[:3]]
            if len(owned) > 3:
                links.append(f"/runbooks/?owner={person.user.username}")
            columns.append(links)
        rows[person.name] = tuple(columns)
    return rows


# The member signing in (the session is read from the cache), the history (its rows, the records with their
# predecessors, the users they name), the count for the pager, the members with their counts, and each role's
# first three pipelines.
TEAM_PAGE_QUERIES = 8


@pytest.mark.parametrize(("members", "pipelines"), [(3, 4), (12, 60)])
def test_team_page_costs_the_same_queries_at_any_size(
    member_client, member, django_assert_num_queries, members, pipelines
):
    others = TeamMemberFactory.create_batch(members, area="Growth")
    owned = owned_by(others, pipelines)
    with django_assert_num_queries(TEAM_PAGE_QUERIES):
        response = member_client.get("/team/")
    html = response.content.decode()
    assert team_rows(html) == expected_team_rows(member, others, owned)
    assert f"{members + 1} members." in html
    busiest = max(others, key=lambda m: sum(p.primary_owner == m for p in owned))
    primary_total = sum(p.primary_owner == busiest for p in owned)
    if primary_total > 3:
        assert f"{primary_total} in all:" in html


def test_team_page_stays_small_when_members_own_many_pipelines(member_client, member):
    others = TeamMemberFactory.create_batch(5)
    owned_by(others, 10)
    small = len(member_client.get("/team/").content)
    owned_by(others, 150, offset=10)
    large = member_client.get("/team/").content.decode()
    assert "32 in all:" in large  # each member is primary owner of 32, secondary of 32
    assert len(large) < small + 2000  # the counts grew, the page did not


def test_team_page_searches_names_usernames_emails_areas_and_expertise(member_client, member):
    ada = TeamMemberFactory(name="Ada Lovelace", area="Finance", expertise="Spark tuning", email="ada@example.com")
    bob = TeamMemberFactory(name="Bob Stone", area="Growth & Investors", expertise="dbt")

    def shown(q: str) -> set[str]:
        return {m.name for m in member_client.get("/team/", {"q": q}).context["members"]}

    assert shown("lovelace") == {"Ada Lovelace"}
    assert shown(ada.user.username) == {"Ada Lovelace"}
    assert shown("ada@example") == {"Ada Lovelace"}
    assert shown("investors") == {"Bob Stone"}
    assert shown("spark finance") == {"Ada Lovelace"}
    assert shown("DBT") == {bob.name}
    assert shown("") == {member.name, "Ada Lovelace", "Bob Stone"}
    html = member_client.get("/team/", {"q": "nobody-like-this"}).content.decode()
    assert "No member matches “nobody-like-this”." in html and "0 members matching" in html
    assert '<label for="id_q">Search</label>' in html


def test_team_page_pages_twenty_five_at_a_time_and_keeps_the_search(member_client, member):
    for n in range(30):
        TeamMemberFactory(name=f"Analyst {n:02d}", area="Sales")
    first = member_client.get("/team/", {"q": "sales"}).content.decode()
    assert "30 members matching “sales”" in first and "Page 1 of 2" in first
    assert first.count('<th scope="row">Analyst ') == 25 and 'href="?q=sales&amp;page=2"' in first
    second = member_client.get("/team/", {"q": "sales", "page": 2}).content.decode()
    assert second.count('<th scope="row">Analyst ') == 5 and "Analyst 29" in second


def test_runbook_list_filters_by_owner(member_client):
    ada, bob = TeamMemberFactory(), TeamMemberFactory()
    hers = [PipelineFactory(primary=ada), PipelineFactory(primary=bob, secondary=ada)]
    PipelineFactory(primary=bob)
    response = member_client.get("/runbooks/", {"owner": ada.user.username})
    assert {p.slug for p in response.context["pipelines"]} == {p.slug for p in hers}
    html = response.content.decode()
    assert f"2 pipelines owned by {ada.user.username}." in html
    assert f'name="owner" id="id_owner" value="{ada.user.username}"' in html


def test_runbook_detail_renders_sections_links_and_contacts(member_client, imported_seed):
    response = member_client.get("/runbooks/unit-level-profit-pipeline-for-experiments/")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<a href="/runbooks/profit-pipeline/"' in html  # the plan's #anchor link, now a portal link
    assert "Known issue" in html
    assert "Jasmine Glancy" in html and "Jackson Long" in html
    assert "Ray Charley" in html and "2 days" in html
    assert "<svg" in html and "Profit Pipeline" in html


def test_runbook_detail_fixes_the_malformed_docs_link(member_client, imported_seed):
    html = member_client.get("/runbooks/aggregate-engagement-for-investors-pipeline/").content.decode()
    assert 'href="https://learn.microsoft.com/en-us/fabric/data-factory/delete-data-activity"' in html
    assert '<a href="/runbooks/engagement-pipeline/"' in html


def test_runbook_detail_shows_dependents_of_the_profit_pipeline(member_client, imported_seed):
    response = member_client.get("/runbooks/profit-pipeline/")
    assert {p.slug for p in response.context["downstream"]} == {
        "unit-level-profit-pipeline-for-experiments",
        "aggregate-profit-pipeline-for-investors",
    }


def test_runbook_detail_cannot_carry_a_script(member_client):
    pipeline = PipelineFactory(
        description="<script>alert('owned')</script>Loads data",
        standard_procedures="[click](javascript:alert(1)) <img src=x onerror=alert(1)>",
        common_issues=[{"text": "<script>bad()</script>", "known_issue": True}],
    )
    html = member_client.get(pipeline.get_absolute_url()).content.decode().lower()
    runbook = html[html.index('<article class="runbook-text">') : html.index("</article>")]
    assert "alert(" not in runbook and "onerror" not in runbook and "javascript:" not in runbook
    assert "loads data" in runbook
    # The History shows the text as typed, as text: no tag of it reaches the page.
    assert "<script>alert" not in html and "<img" not in html and 'href="javascript:' not in html
    assert "&lt;script&gt;alert(" in html


def test_runbook_detail_404s_for_unknown_slug(member_client):
    assert member_client.get("/runbooks/nope/").status_code == 404


def test_team_page_lists_members_with_their_pipelines(member_client, imported_seed):
    response = member_client.get("/team/")
    html = response.content.decode()
    assert "Hudson King" in html and "team leader" in html
    assert "jasmine.glancy" in html
    jasmine = next(m for m in response.context["members"] if m.name == "Jasmine Glancy")
    primary = {o.pipeline.slug for o in jasmine.ownerships.all() if o.role == "primary"}
    assert primary == {"unit-level-profit-pipeline-for-experiments", "engagement-pipeline"}


def test_home_lists_pipelines(member_client, imported_seed):
    response = member_client.get("/")
    assert response.status_code == 200
    assert response.content.decode().count('href="/runbooks/') >= Pipeline.objects.count()


def test_runbook_list_pages_fifty_at_a_time_and_keeps_the_search(member_client):
    for n in range(60):
        PipelineFactory(name=f"Sales feed {n:02d}", slug=f"sales-feed-{n:02d}")
    PipelineFactory(name="Engagement", slug="engagement")
    first = member_client.get("/runbooks/", {"q": "sales"}).content.decode()
    assert "60 pipelines matching “sales”" in first
    assert first.count('href="/runbooks/sales-feed-') == 50 and "Engagement" not in first
    assert "Page 1 of 2" in first and 'href="?q=sales&amp;page=2"' in first
    second = member_client.get("/runbooks/", {"q": "sales", "page": 2}).content.decode()
    assert second.count('href="/runbooks/sales-feed-') == 10 and "Sales feed 59" in second


def test_team_page_shows_the_newest_member_changes_and_links_to_every_one(member_client, member):
    TeamMemberFactory.create_batch(20)  # 21 members created: 21 changes
    html = member_client.get("/team/").content.decode()
    log = re.search(r'<section class="change-log".*?</section>', html, re.S)[0]
    assert log.count("<tr>") == 1 + 15  # the header and the 15 newest
    assert '<a href="/api/changes/?object_type=member">Every change, newest first</a>' in log
    every = member_client.get("/api/changes/", {"object_type": "member"}).json()
    assert len(every["results"]) == 21
