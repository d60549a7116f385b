"""Signals other apps may listen to, so pipelines never imports them."""

from django.dispatch import Signal

# Sent in run_upsert's transaction once a run is saved, with `run` and `created`.
run_recorded = Signal()
