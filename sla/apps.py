from django.apps import AppConfig


class SlaConfig(AppConfig):
    """The monthly SLA: figures per pipeline and month, their review, and the escalation of breaches."""

    name = "sla"
    verbose_name = "SLA"
