from django.db import models


class OwnerRole(models.TextChoices):
    PRIMARY = "primary", "Primary owner"
    SECONDARY = "secondary", "Secondary owner"


class RunStatus(models.TextChoices):
    SUCCESS = "success", "Succeeded"
    FAILED = "failed", "Failed"
    RUNNING = "running", "Running"
