"""Chat messages through the outbox: recorded in the caller's transaction, posted by Celery after the commit.

The same promise as `notifications` for email: a rolled-back change posts nothing, a retried event
(same key) posts once per channel, and a channel that is down keeps its message for the retries.
"""

import json
import urllib.request
from collections.abc import Iterable
from datetime import datetime
from typing import NamedTuple

from django.db import transaction
from django.utils import timezone

from .choices import NotificationStatus
from .models import ChatMessage
from .notifications import outbox_key, outbox_record, outbox_requeue

TIMEOUT_SECONDS = 10


class ChatPost(NamedTuple):
    destination_key: str  # unique per channel, e.g. "channel-3"
    destination: str  # the channel's name, for people
    url: str
    payload: dict


class ChatOut(NamedTuple):
    """One message to record: `post` for `event`, about a thing people can open."""

    event: str
    post: ChatPost
    about: str = ""
    about_url: str = ""


def post_all(*, kind: str, messages: Iterable[ChatOut]) -> list[ChatMessage]:
    """Record each message of `kind` (key `event:channel`) and post them after the commit, in one or two queries
    whatever their number; a channel already told about an event is skipped."""
    rows: dict[str, ChatMessage] = {}
    for message in messages:
        key = outbox_key(message.event, message.post.destination_key)
        rows[key] = ChatMessage(
            key=key,
            kind=kind,
            destination=message.post.destination[:200],
            url=message.post.url,
            payload=message.post.payload,
            about=message.about[:255],
            about_url=message.about_url[:500],
        )
    from .tasks import send_chat_messages

    return outbox_record(ChatMessage, rows, send_chat_messages)


def chat_messages_requeue(*, now: datetime) -> int:
    """The outbox sweeper for chat: messages still pending (never taken by the broker, lost with a worker, or
    refused by a channel that is down) are queued again with the email backoff, and give up as emails do."""
    from .tasks import send_chat_message

    return outbox_requeue(ChatMessage, send_chat_message, now=now)


class ChatDeliveryFailed(Exception):
    """The channel refused the message or could not be reached; the error is recorded and the message stays
    pending for the outbox sweeper."""


def chat_message_deliver(*, message_id: int) -> bool:
    """Post one recorded message unless it was posted already or given up; True when it was posted now.

    The row stays locked while the request goes out, so two workers handed the same message post it once.
    A failure is recorded on the row (`attempts`, `last_error`), which stays pending for the outbox sweeper
    to retry with its backoff and, after its last re-queue, to mark failed, as for email; then it is raised
    as `ChatDeliveryFailed`.
    """
    with transaction.atomic():
        message = ChatMessage.objects.select_for_update().filter(pk=message_id).first()
        if message is None or message.status != NotificationStatus.PENDING:
            return False
        message.attempts += 1
        request = urllib.request.Request(
            message.url,
            data=json.dumps(message.payload).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
                response.read()
        except Exception as error:  # any transport or HTTP failure: record it, the sweeper retries
            message.last_error = f"{type(error).__name__}: {error}"[:2000]
            message.save(update_fields=["last_error", "attempts"])
            failure = error
        else:
            message.status = NotificationStatus.SENT
            message.sent_at = timezone.now()
            message.last_error = ""
            message.save(update_fields=["status", "sent_at", "last_error", "attempts"])
            return True
    raise ChatDeliveryFailed(message.last_error) from failure
