"""Handing work to Celery without letting an unreachable broker undo a committed change."""

import logging

from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)


def task_enqueue(task, *, args: tuple = (), task_id: str | None = None) -> bool:
    """Queue `task(*args)`; False (logged) when the broker cannot take it.

    Called after a commit: the rows are stored by then, so a broker outage must not turn the answer
    into an error. Messages are recorded in the outbox and re-queued by its sweeper; other jobs are
    re-run by their nightly schedule or by the user, who is told.
    """
    try:
        task.apply_async(args=args, task_id=task_id)
    except (OperationalError, OSError):  # kombu wraps the transport's connection errors in OperationalError
        logger.warning("could not queue %s%r: broker unavailable", task.name, args, exc_info=True)
        return False
    return True
