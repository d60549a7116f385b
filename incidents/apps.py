from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    """Incidents, stakeholder communications and the monthly SLA review."""

    name = "incidents"

    def ready(self):
        from . import handlers  # noqa: F401  (connects the receivers)
