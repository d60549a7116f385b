from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    """Incidents, stakeholder communications and the monthly SLA review."""

    name = "incidents"
