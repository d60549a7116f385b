"""The Celery app: configured from Django settings (CELERY_*), tasks found in each app's tasks.py."""

import os
from pathlib import Path

from celery import Celery

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
