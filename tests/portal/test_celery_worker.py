"""A real Celery worker (Redis when REDIS_URL is set, else the embedded filesystem broker) delivers mail."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, transaction

from oncall.choices import NotificationStatus
from oncall.models import Notification
from oncall.notifications import Recipient, notify

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parent.parent.parent


def database_url() -> str:
    """The URL of the test database this process uses, for the worker to open the same one."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def worker(tmp_path, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    mail_dir = tmp_path / "mail"
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "portal.settings.test",
        "DATABASE_URL": database_url(),
        "TEST_EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "portal", "worker", "--pool=solo", "--concurrency=1", "-l", "INFO"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield mail_dir
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def wait_for(condition, seconds=45):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.3)
    return False


def test_a_real_worker_sends_the_mail_after_commit_and_a_rollback_sends_nothing(worker):
    with transaction.atomic():
        notify(
            event="worker-test-rolled-back",
            kind="test",
            recipients=[Recipient("nobody@example.com")],
            subject="Must never be sent",
            body="rolled back",
        )
        transaction.set_rollback(True)
    with transaction.atomic():
        (notification,) = notify(
            event="worker-test",
            kind="test",
            recipients=[Recipient("jasmine@example.com")],
            subject="Pipeline incident",
            body="The profit pipeline failed.",
        )
    broker = "Redis" if settings.REDIS_URL else "the filesystem broker"
    assert wait_for(lambda: Notification.objects.get(pk=notification.pk).status == NotificationStatus.SENT), (
        f"the worker on {broker} did not send the mail"
    )
    messages = [path.read_text() for path in worker.glob("*.log")]
    assert len(messages) == 1
    assert "To: jasmine@example.com" in messages[0] and "Subject: Pipeline incident" in messages[0]
    assert not Notification.objects.filter(recipient="nobody@example.com").exists()
