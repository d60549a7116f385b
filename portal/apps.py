from django.apps import AppConfig


class PortalConfig(AppConfig):
    """Wires the apps together: commands that span oncall, pipelines and incidents."""

    name = "portal"
    verbose_name = "Pipeline Ops Portal"
