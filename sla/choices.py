from django.db import models


class Dimension(models.TextChoices):
    AVAILABILITY = "availability", "Availability"
    TIMELINESS = "timeliness", "Timeliness"
    QUALITY = "quality", "Data quality"
    RESPONSE = "response", "Incident response"
