"""The outbox: messages the broker or the mail server could not take stay pending, are re-queued by the
sweeper with a growing wait, and give up as `failed` after a capped number of attempts, which the list shows."""

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from oncall.chat import ChatOut, ChatPost, chat_messages_requeue, post_all
from oncall.choices import NotificationStatus, TradeStatus
from oncall.models import HolidayTrade, Notification
from oncall.notifications import MAX_REQUEUES, Recipient, notifications_requeue, notify, requeue_wait
from oncall.tasks import requeue_pending_notifications
from tests.oncall.test_trade_views import quiet_swap, trading_team


def record(event="outbox-test", email="jasmine@example.com") -> Notification:
    (notification,) = notify(
        event=event, kind="test", recipients=[Recipient(email)], subject="Pipeline incident", body="Failed."
    )
    return notification


@pytest.fixture
def mail_server_down(settings):
    """A real SMTP transport to a port nothing listens on."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 1


@pytest.mark.django_db(transaction=True)
def test_a_trade_offered_while_the_broker_is_down_is_recorded_and_answered(broker_down, client):
    a, b, *_ = trading_team()
    offered, wanted = quiet_swap(a, b)
    client.force_login(a.user)
    response = client.post(
        "/api/trades/",
        {"shift": offered.pk, "counterparty": b.user.username, "counterparty_shift": wanted.pk},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert HolidayTrade.objects.get().status == TradeStatus.PENDING
    assert Notification.objects.get(member=b).status == NotificationStatus.PENDING


def test_requeue_wait_doubles_up_to_half_an_hour():
    assert [requeue_wait(n).total_seconds() / 60 for n in range(7)] == [1, 2, 4, 8, 16, 30, 30]


@pytest.mark.django_db
def test_a_message_sent_on_time_is_left_alone_by_the_sweeper(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notification = record()
    assert len(mail.outbox) == 1
    assert requeue_pending_notifications() == 0
    assert notifications_requeue(now=timezone.now() + timedelta(days=1)) == 0
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.SENT and notification.requeues == 0 and len(mail.outbox) == 1


@pytest.mark.django_db
def test_a_mail_server_failure_is_retried_by_the_sweeper_then_given_up_as_failed(
    mail_server_down, settings, django_capture_on_commit_callbacks, manager_api
):
    with django_capture_on_commit_callbacks(execute=True):
        notification = record()  # the first delivery fails: the task keeps it pending instead of raising
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.PENDING and notification.attempts == 1
    assert "ConnectionRefusedError" in notification.last_error

    now = timezone.now()
    for requeue in range(MAX_REQUEUES):
        now += requeue_wait(requeue)
        assert notifications_requeue(now=now - timedelta(seconds=1)) == 0  # still waiting
        assert notifications_requeue(now=now) == 1
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.PENDING
    assert notification.attempts == MAX_REQUEUES + 1 and notification.requeues == MAX_REQUEUES

    assert notifications_requeue(now=now + timedelta(hours=1)) == 0
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.FAILED
    assert notification.last_error.startswith(f"Gave up after {MAX_REQUEUES + 1} attempts. ConnectionRefusedError")
    assert notification.attempts == MAX_REQUEUES + 1

    # The mail server is back: a failed message stays failed, and the list says so.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert notifications_requeue(now=now + timedelta(days=1)) == 0 and not mail.outbox
    (listed,) = manager_api.get("/api/notifications/", {"status": "failed"}).json()["results"]
    assert listed["id"] == notification.pk and listed["status"] == "failed"
    assert listed["last_error"].startswith("Gave up after")


@pytest.mark.django_db(transaction=True)
def test_a_sweep_while_the_broker_is_still_down_leaves_the_message_pending(broker_down):
    notification = record()
    assert notifications_requeue(now=timezone.now() + timedelta(minutes=1)) == 0
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.PENDING and notification.attempts == 0
    broker_down.restore()
    assert notifications_requeue(now=timezone.now() + timedelta(minutes=3)) == 1
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.SENT and [m.to for m in mail.outbox] == [["jasmine@example.com"]]


@pytest.mark.django_db(transaction=True)
def test_a_chat_message_recorded_while_the_broker_is_down_is_posted_by_the_sweeper(broker_down, clock):
    posted = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self):
            posted.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/hook"
        with transaction.atomic():
            (message,) = post_all(
                kind="test",
                messages=[ChatOut("outbox-chat-test", ChatPost("channel-1", "#data-oncall", url, {"text": "Hi"}))],
            )
        message.refresh_from_db()
        assert message.status == NotificationStatus.PENDING and posted == []
        broker_down.restore()
        assert chat_messages_requeue(now=timezone.now()) == 0  # not a minute old yet
        clock.move_to(timezone.now() + timedelta(minutes=2))
        assert requeue_pending_notifications() == 1
        message.refresh_from_db()
        assert message.status == NotificationStatus.SENT and message.requeues == 1
        assert posted == [{"text": "Hi"}]
    finally:
        server.shutdown()
