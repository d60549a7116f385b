"""Task options set once in settings (CELERY_TASK_*) reach every task."""

from portal.celery import app


def test_every_task_acknowledges_its_message_only_once_done():
    app.loader.import_default_modules()
    tasks = [task for name, task in app.tasks.items() if name.split(".")[0] in {"oncall", "incidents", "sla"}]
    assert len(tasks) >= 11
    assert all(task.acks_late and task.reject_on_worker_lost for task in tasks)
