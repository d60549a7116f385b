"""Chat messages to a channel that is down: kept pending for the outbox sweeper, as emails are, posted once
when the channel is back, and given up as `failed` only by the sweeper's rule."""

from datetime import timedelta

import pytest
from django.utils import timezone

from oncall.chat import ChatDeliveryFailed, ChatOut, ChatPost, chat_message_deliver, chat_messages_requeue, post_all
from oncall.choices import NotificationStatus
from oncall.models import ChatMessage
from oncall.notifications import MAX_REQUEUES, requeue_wait
from oncall.tasks import requeue_pending_notifications, send_chat_message
from tests.chat_receiver import chat_receiver
from tests.races import postgresql_only, race


def incident_opened(url: str) -> list[ChatMessage]:
    """Record the chat message of one opened incident for the channel at `url`, as the incidents app does."""
    return post_all(
        kind="incidents.opened",
        messages=[
            ChatOut("incident-7-opened", ChatPost("channel-1", "#data-oncall", url, {"text": "Profit Pipeline failed"}))
        ],
    )


@pytest.mark.django_db
def test_chat_message_to_a_channel_that_is_down_stays_pending_with_the_error(django_capture_on_commit_callbacks):
    with chat_receiver(503) as channel:
        with django_capture_on_commit_callbacks():
            (message,) = incident_opened(channel.url())
        with pytest.raises(ChatDeliveryFailed):
            chat_message_deliver(message_id=message.pk)
        message.refresh_from_db()
        assert message.status == NotificationStatus.PENDING
        assert message.attempts == 1 and message.last_error == "HTTPError: HTTP Error 503: Service Unavailable"

        # The task records the failure and leaves the message to the sweeper: one request per hand-over.
        assert send_chat_message.delay(message.pk).get() is False
        message.refresh_from_db()
        assert message.status == NotificationStatus.PENDING and message.attempts == 2
        assert len(channel.received) == 2 and channel.accepted == []


@pytest.mark.django_db
def test_chat_message_to_an_unreachable_channel_stays_pending_with_the_error(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        (message,) = incident_opened("http://127.0.0.1:9/hook")  # nothing listens there
    message.refresh_from_db()
    assert message.status == NotificationStatus.PENDING and message.attempts == 1
    assert message.last_error.startswith("URLError:") and "Connection refused" in message.last_error


@pytest.mark.django_db
def test_chat_message_is_posted_by_the_sweeper_once_the_channel_is_back_and_only_once(
    django_capture_on_commit_callbacks, clock
):
    with chat_receiver(503) as channel:
        with django_capture_on_commit_callbacks(execute=True):
            (message,) = incident_opened(channel.url())
        now = timezone.now()
        assert chat_messages_requeue(now=now + requeue_wait(0) - timedelta(seconds=1)) == 0  # still waiting

        now += requeue_wait(0)
        assert chat_messages_requeue(now=now) == 1  # still down: tried again, kept
        message.refresh_from_db()
        assert message.status == NotificationStatus.PENDING and message.attempts == 2 and message.requeues == 1

        channel.status = 200
        clock.move_to(now + requeue_wait(1))
        assert requeue_pending_notifications() == 1  # the beat task
        message.refresh_from_db()
        assert message.status == NotificationStatus.SENT and message.attempts == 3 and message.last_error == ""
        assert channel.accepted == [{"text": "Profit Pipeline failed"}]

        # Later sweeps, the same event again and a stray hand-over of the task post nothing more.
        assert chat_messages_requeue(now=now + timedelta(days=1)) == 0
        with django_capture_on_commit_callbacks(execute=True):
            assert incident_opened(channel.url()) == []
        assert send_chat_message.delay(message.pk).get() is False
        assert len(channel.accepted) == 1 and ChatMessage.objects.count() == 1


@pytest.mark.django_db
def test_chat_message_to_a_channel_that_stays_down_gives_up_as_failed_by_the_email_rule(
    django_capture_on_commit_callbacks,
):
    with chat_receiver(503) as channel:
        with django_capture_on_commit_callbacks(execute=True):
            (message,) = incident_opened(channel.url())
        now = timezone.now()
        for requeue in range(MAX_REQUEUES):
            now += requeue_wait(requeue)
            assert chat_messages_requeue(now=now) == 1
        message.refresh_from_db()
        assert message.status == NotificationStatus.PENDING and message.attempts == MAX_REQUEUES + 1

        now += requeue_wait(MAX_REQUEUES)
        assert chat_messages_requeue(now=now - timedelta(seconds=1)) == 0
        message.refresh_from_db()
        assert message.status == NotificationStatus.PENDING
        assert chat_messages_requeue(now=now) == 0
        message.refresh_from_db()
        assert message.status == NotificationStatus.FAILED
        assert message.last_error == (
            f"Gave up after {MAX_REQUEUES + 1} attempts. HTTPError: HTTP Error 503: Service Unavailable"
        )
        assert timedelta(hours=2) <= now - message.created_at < timedelta(hours=3)
        assert len(channel.received) == MAX_REQUEUES + 1  # once per hand-over, never more

        # A message given up stays given up, even if a stale hand-over reaches a worker after the channel is back.
        channel.status = 200
        assert chat_messages_requeue(now=now + timedelta(days=1)) == 0
        assert send_chat_message.delay(message.pk).get() is False
        assert channel.accepted == []


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_chat_message_handed_to_two_workers_after_a_failure_is_posted_once():
    with chat_receiver(503) as channel:
        (message,) = incident_opened(channel.url())  # autocommit: the delivery ran after the commit and failed
        message.refresh_from_db()
        assert message.status == NotificationStatus.PENDING
        channel.status = 200
        outcomes = race([lambda: chat_message_deliver(message_id=message.pk)] * 2)
    assert sorted(outcomes) == [False, True]
    assert len(channel.accepted) == 1
    assert ChatMessage.objects.get().status == NotificationStatus.SENT
