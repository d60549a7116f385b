"""Receivers of other apps' signals: each calls one service, where the rule lives."""

from django.dispatch import receiver

from pipelines.signals import run_recorded

from .automatic import run_signal_record


@receiver(run_recorded, dispatch_uid="incidents.run_recorded")
def incident_from_run(sender, run, **kwargs):
    run_signal_record(run=run)
