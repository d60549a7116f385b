"""One check for "a team member acts", on pages and in the API, each place with its own words."""

from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from rest_framework.test import APIClient, APIRequestFactory
from rest_framework.views import APIView

from incidents.models import Incident
from oncall.permissions import NOT_ON_THE_TEAM, TeamMemberActs, team_member_or_403


def staff_account():
    """Staff may sign in and manage, but no team member stands behind the account."""
    return get_user_model().objects.create_user(username="admin", is_staff=True)


def test_team_member_or_403_gives_the_member_behind_the_account(member):
    assert team_member_or_403(member.user) == member


@pytest.mark.parametrize("message", [NOT_ON_THE_TEAM, "This account is not a team member."])
def test_team_member_or_403_refuses_an_account_not_on_the_team_in_the_words_given(db, message):
    for user in (staff_account(), AnonymousUser()):
        with pytest.raises(PermissionDenied, match=message):
            team_member_or_403(user, message)


def test_team_member_acts_lets_anyone_read_and_only_members_write(member):
    staff = staff_account()
    factory, permission = APIRequestFactory(), TeamMemberActs()

    def allowed(method: str, user) -> bool:
        request = APIView().initialize_request(getattr(factory, method)("/"))
        request.user = user
        return permission.has_permission(request, None)

    assert allowed("get", staff) and allowed("get", member.user)
    assert allowed("post", member.user) and allowed("patch", member.user)
    assert not allowed("post", staff) and not allowed("delete", staff)


def test_an_account_not_on_the_team_is_told_why_it_cannot_record_a_step(db, pipeline):
    client = APIClient()
    client.force_authenticate(staff_account())
    incident = Incident.objects.create(
        pipeline=pipeline, title="Late", severity="minor", detected_at=datetime(2026, 11, 25, 11, 0, tzinfo=UTC)
    )
    response = client.post(f"/api/incidents/{incident.pk}/acknowledge/", {}, format="json")
    assert response.status_code == 403
    assert response.json() == {"detail": "Only team members record incident steps; this account is not on the team."}
