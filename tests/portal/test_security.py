"""Production settings pass Django's deploy check, and every page sends a Content-Security-Policy."""

import os
import subprocess
import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
import time_machine
from django.apps import apps
from django.core import checks
from django.db import models
from django.utils.timezone import get_default_timezone

ROOT = Path(__file__).resolve().parent.parent.parent


def test_production_settings_pass_the_deploy_check_with_no_warning(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.production",
        "SECRET_KEY": "k8Qz3vN0pW7rT2xL9mB4cF6hJ1sD5gA8eY0uI3oP7lK2nM6bV9cX4zQ1wE5rT8yU",
        "ALLOWED_HOSTS": "portal.example.org",
        "PORTAL_VAR_DIR": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "no issues" in output and "Warning" not in output, output


@pytest.mark.parametrize(
    "path", ["/", "/runbooks/", "/incidents/", "/incidents/new/", "/oncall/", "/sla/", "/api/docs/", "/admin/"]
)
def test_every_page_sends_a_content_security_policy(manager_client, path):
    response = manager_client.get(path, follow=True)
    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    assert "unsafe-inline" not in policy


def test_the_sign_in_page_sends_a_content_security_policy(client, db):
    response = client.get("/accounts/login/")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


def test_api_docs_run_no_inline_script(manager_client):
    html = manager_client.get("/api/docs/").content.decode()
    assert "<script>" not in html


def test_model_checks_raise_no_warning_at_the_time_of_day_a_field_defaults_to():
    """Django warns of a fixed time default (fields.W161) when checked within seconds of that time of day,
    which would fail the deploy check above at 08:00, 09:00 or 17:00."""
    time_fields = [
        field
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if isinstance(field, models.TimeField) and field.has_default()
    ]
    assert {field.get_default() for field in time_fields} >= {time(8), time(9), time(17)}
    for field in time_fields:
        moment = datetime.combine(date(2026, 11, 30), field.get_default(), tzinfo=get_default_timezone())
        with time_machine.travel(moment + timedelta(seconds=2), tick=False):
            warnings = [
                message for message in checks.run_checks(tags=[checks.Tags.models]) if message.id == "fields.W161"
            ]
        assert not warnings, f"{field} at {moment:%H:%M}: {warnings}"
