"""The Celery app: configured from Django settings (CELERY_*), tasks found in each app's tasks.py."""

import os
from pathlib import Path

from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.local")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def make_broker_folders(sender, **kwargs):
    """The embedded (filesystem) broker needs its folders before the first message."""
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        folder = sender.conf.broker_transport_options.get(key)
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)


# Changes a task makes are logged as coming through that job (the import is late: this module loads
# before Django's apps are ready).
_job_sources: dict[str, object] = {}


@task_prerun.connect
def label_changes_as_job(task_id=None, task=None, **kwargs):
    from oncall.history import change_source

    source = change_source(f"job: {task.name.rsplit('.', 1)[-1]}")
    source.__enter__()
    _job_sources[task_id] = source


@task_postrun.connect
def end_job_label(task_id=None, **kwargs):
    source = _job_sources.pop(task_id, None)
    if source is not None:
        source.__exit__(None, None, None)
