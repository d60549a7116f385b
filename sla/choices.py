from django.db import models


class Dimension(models.TextChoices):
    AVAILABILITY = "availability", "Availability"
    TIMELINESS = "timeliness", "Timeliness"
    QUALITY = "quality", "Data quality"
    RESPONSE = "response", "Incident response"


class DashboardShow(models.TextChoices):
    """Which pipelines of a month the dashboard lists as rows; the counts always cover them all."""

    ATTENTION = "attention", "Breaching or nearly spent"
    BREACHING = "breaching", "Breaching"
    NEARLY_SPENT = "nearly-spent", "Error budget nearly spent"
    COMPLIANT = "compliant", "Compliant"
    ALL = "all", "All pipelines"
