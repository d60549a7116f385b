import pytest
from django.utils import timezone

from oncall.models import HolidayRecord, Rotation, Shift
from tests.oncall.factories import TeamMemberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, django_user_model):
    admin = django_user_model.objects.create_superuser("admin", "admin@example.com", "pass-word-123")
    client.force_login(admin)
    return client


def test_manager_records_holiday_history_in_the_admin(admin_client):
    member = TeamMemberFactory()
    response = admin_client.post(
        "/admin/oncall/holidayrecord/add/",
        {"date": "2024-12-25", "holiday_name": "Christmas Day", "member": member.pk},
    )
    assert response.status_code == 302
    assert HolidayRecord.objects.get().member == member


def test_rotation_change_in_the_admin_regenerates_the_shifts(admin_client, django_capture_on_commit_callbacks):
    members = [TeamMemberFactory() for _ in range(2)]
    data = {
        "name": "Team", "time_zone": "UTC", "handoff_time": "00:00", "block_days": "7",
        "start_date": timezone.localdate().isoformat(), "holiday_country": "US", "holiday_subdivision": "",
        "window_years": "4",
        "memberships-TOTAL_FORMS": "2", "memberships-INITIAL_FORMS": "0",
        "memberships-0-member": members[0].pk, "memberships-0-position": "0",
        "memberships-1-member": members[1].pk, "memberships-1-position": "1",
        "custom_holidays-TOTAL_FORMS": "0", "custom_holidays-INITIAL_FORMS": "0",
    }  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post("/admin/oncall/rotation/add/", data)
    assert response.status_code == 302, response.content[:2000]
    rotation = Rotation.objects.get()
    assert Shift.objects.filter(rotation=rotation).count() > 365


def test_shifts_and_trades_are_read_only_in_the_admin(admin_client):
    assert admin_client.get("/admin/oncall/shift/add/").status_code == 403
    assert admin_client.get("/admin/oncall/holidaytrade/add/").status_code == 403
    assert admin_client.get("/admin/oncall/shift/").status_code == 200
