from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    """Incidents, their signals and pages, and stakeholder communications."""

    name = "incidents"

    def ready(self):
        from . import handlers  # noqa: F401  (connects the receivers)
