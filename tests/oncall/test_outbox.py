"""The outbox: messages the broker or the mail server could not take stay pending, are re-queued by the
sweeper with a growing wait, and give up as `failed` after a capped number of attempts, which the list shows."""

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from celery.signals import task_prerun
from django.core import mail
from django.db import transaction
from django.utils import timezone

from oncall.chat import ChatOut, ChatPost, chat_messages_requeue, post_all
from oncall.choices import NotificationStatus, TradeStatus
from oncall.models import ChatMessage, HolidayTrade, Notification
from oncall.notifications import MAX_REQUEUES, Recipient, notifications_requeue, notify, requeue_wait
from oncall.tasks import requeue_pending_notifications, send_chat_messages, send_notifications
from tests.chat_receiver import chat_receiver
from tests.oncall.test_trade_views import quiet_swap, trading_team


def record(event="outbox-test", email="jasmine@example.com") -> Notification:
    (notification,) = notify(
        event=event, kind="test", recipients=[Recipient(email)], subject="Pipeline incident", body="Failed."
    )
    return notification


@pytest.fixture
def tasks_run():
    """The (task name, arguments) of each task as it starts, in order."""
    started = []

    def note(sender=None, args=(), **kwargs):
        started.append((sender.name.rsplit(".", 1)[-1], list(args)))

    task_prerun.connect(note, weak=False)
    yield started
    task_prerun.disconnect(note)


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


@pytest.mark.django_db
def test_emails_recorded_together_reach_the_broker_as_one_batch_and_each_is_sent_once(
    django_capture_on_commit_callbacks, tasks_run
):
    addresses = [f"member{n}@example.com" for n in range(4)]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        recorded = notify(
            event="batch-test", kind="test", recipients=map(Recipient, addresses), subject="Failed", body="Failed."
        )
    ids = [notification.pk for notification in recorded]
    assert len(callbacks) == 1  # one hand-over to the broker after the commit
    assert tasks_run[0] == ("send_notifications", [ids])
    assert sorted(tasks_run[1:]) == [("send_notification", [pk]) for pk in sorted(ids)]
    assert sorted(message.to[0] for message in mail.outbox) == sorted(addresses)
    assert set(Notification.objects.values_list("status", flat=True)) == {NotificationStatus.SENT}

    # The batch handed over again (a worker lost mid-task runs it twice) sends nothing twice.
    assert send_notifications.delay(ids).get() == len(ids)
    assert len(mail.outbox) == len(addresses)


@pytest.mark.django_db
def test_chat_messages_recorded_together_reach_the_broker_as_one_batch_and_each_is_posted_once(
    django_capture_on_commit_callbacks, tasks_run
):
    with chat_receiver() as receiver:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            recorded = post_all(
                kind="test",
                messages=[
                    ChatOut(
                        "batch-chat-test", ChatPost(f"channel-{n}", f"#alerts-{n}", receiver.url(f"/{n}"), {"n": n})
                    )
                    for n in range(3)
                ],
            )
        ids = [message.pk for message in recorded]
        assert len(callbacks) == 1
        assert tasks_run[0] == ("send_chat_messages", [ids])
        assert sorted(tasks_run[1:]) == [("send_chat_message", [pk]) for pk in sorted(ids)]
        assert sorted(receiver.received) == [(f"/{n}", {"n": n}) for n in range(3)]
        assert set(ChatMessage.objects.values_list("status", flat=True)) == {NotificationStatus.SENT}

        send_chat_messages.delay(ids).get()
        assert len(receiver.received) == 3
