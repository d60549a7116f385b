from django.apps import AppConfig


class PipelinesConfig(AppConfig):
    """Pipelines, ownership, downstream teams, contacts, runs and the runbook import."""

    name = "pipelines"
