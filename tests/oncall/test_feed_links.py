"""The feed links on the calendar page: shown, replaced by a POST that revokes the old one, and reset from the admin."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from oncall.models import Rotation, TeamMember
from tests.oncall.factories import TeamMemberFactory
from tests.oncall.test_feeds import make_rotation, make_shift

pytestmark = pytest.mark.django_db

BASE = "http://127.0.0.1:8000"  # PORTAL_BASE_URL in tests


@pytest.fixture
def rotation(member):
    rotation = make_rotation()
    make_shift(rotation, timezone.localdate(), member)
    return rotation


def member_path(token):
    return reverse("feeds:member-feed", kwargs={"token": token})


def rotation_path(token):
    return reverse("feeds:rotation-feed", kwargs={"token": token})


def test_calendar_page_shows_my_feed_link_and_the_rotations(member_client, member, rotation):
    html = member_client.get("/oncall/").content.decode()
    assert f'value="{BASE}{member_path(member.calendar_token)}"' in html
    assert f'value="{BASE}{rotation_path(rotation.feed_token)}"' in html
    assert member_client.get(member_path(member.calendar_token)).status_code == 200
    # Only managers replace a rotation's link, which everyone shares.
    assert reverse("oncall:rotation-feed-reset", kwargs={"pk": rotation.pk}) not in html


def test_new_link_revokes_the_old_one_and_shows_the_new(member_client, member, rotation):
    old = member.calendar_token
    response = member_client.post(reverse("oncall:member-feed-reset"), follow=True)
    member.refresh_from_db()
    assert member.calendar_token != old
    html = response.content.decode()
    assert "Your calendar feed has a new link; the old link no longer works." in html
    assert f'value="{BASE}{member_path(member.calendar_token)}"' in html and old not in html
    assert member_client.get(member_path(old)).status_code == 404
    assert member_client.get(member_path(member.calendar_token)).status_code == 200


def test_new_link_needs_a_post_with_the_csrf_token(member, rotation):
    client = Client(enforce_csrf_checks=True)
    client.force_login(member.user)
    old = member.calendar_token
    assert client.get(reverse("oncall:member-feed-reset")).status_code == 405
    assert client.post(reverse("oncall:member-feed-reset")).status_code == 403
    member.refresh_from_db()
    assert member.calendar_token == old
    page = client.get("/oncall/")
    token = page.cookies["csrftoken"].value
    assert client.post(reverse("oncall:member-feed-reset"), {"csrfmiddlewaretoken": token}).status_code == 302
    member.refresh_from_db()
    assert member.calendar_token != old


def test_only_managers_replace_a_rotations_link(member_client, manager, rotation):
    url = reverse("oncall:rotation-feed-reset", kwargs={"pk": rotation.pk})
    old = rotation.feed_token
    assert member_client.post(url).status_code == 403
    assert Rotation.objects.get().feed_token == old

    member_client.force_login(manager.user)
    assert url in member_client.get("/oncall/").content.decode()
    assert member_client.post(url).status_code == 302
    assert member_client.get(rotation_path(old)).status_code == 404
    assert member_client.get(rotation_path(Rotation.objects.get().feed_token)).status_code == 200


def test_manager_resets_any_members_link_from_the_admin(admin_client, member, rotation):
    other = TeamMemberFactory()
    before = dict(TeamMember.objects.values_list("pk", "calendar_token"))
    response = admin_client.post(
        reverse("admin:oncall_teammember_changelist"),
        {"action": "reset_feed_links", "_selected_action": [member.pk]},
        follow=True,
    )
    assert "1 calendar feed link(s) replaced." in response.content.decode()
    after = dict(TeamMember.objects.values_list("pk", "calendar_token"))
    assert after[member.pk] != before[member.pk] and after[other.pk] == before[other.pk]
    assert admin_client.get(member_path(before[member.pk])).status_code == 404

    admin_client.post(
        reverse("admin:oncall_rotation_changelist"), {"action": "reset_feed_links", "_selected_action": [rotation.pk]}
    )
    assert Rotation.objects.get().feed_token != rotation.feed_token
