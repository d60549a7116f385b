"""Email settings come from the environment."""

import subprocess
import sys

import pytest

from portal.settings.base import email_backend


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("file", "django.core.mail.backends.filebased.EmailBackend"),
        ("smtp", "django.core.mail.backends.smtp.EmailBackend"),
        ("", "django.core.mail.backends.console.EmailBackend"),
        ("myproject.mail.Backend", "myproject.mail.Backend"),
    ],
)
def test_email_backend_takes_short_names_and_dotted_paths(monkeypatch, value, expected):
    monkeypatch.setenv("EMAIL_BACKEND", value)
    assert email_backend("console") == expected


def test_email_settings_are_read_from_the_environment(tmp_path):
    env = {
        "DJANGO_SETTINGS_MODULE": "portal.settings.local",
        "EMAIL_BACKEND": "file",
        "EMAIL_FILE_PATH": str(tmp_path),
        "EMAIL_HOST": "smtp.example.com",
        "EMAIL_PORT": "587",
        "EMAIL_USE_TLS": "true",
        "EMAIL_TIMEOUT": "12",
        "DEFAULT_FROM_EMAIL": "ops@example.com",
        "PORTAL_VAR_DIR": str(tmp_path / "var"),
    }
    code = (
        "from django.conf import settings as s; "
        "print(s.EMAIL_BACKEND, s.EMAIL_FILE_PATH, s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_USE_TLS, s.EMAIL_TIMEOUT, "
        "s.DEFAULT_FROM_EMAIL, s.SERVER_EMAIL)"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.split() == [
        "django.core.mail.backends.filebased.EmailBackend",
        str(tmp_path),
        "smtp.example.com",
        "587",
        "True",
        "12",
        "ops@example.com",
        "ops@example.com",
    ]
