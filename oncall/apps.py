from django.apps import AppConfig


class OncallConfig(AppConfig):
    """People, rotations, holidays and time: the app every other app builds on."""

    name = "oncall"
    verbose_name = "On-call"
