from django.db import models


class OwnerRole(models.TextChoices):
    PRIMARY = "primary", "Primary owner"
    SECONDARY = "secondary", "Secondary owner"
