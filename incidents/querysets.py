from django.db import models

from .choices import IncidentStatus, Severity


class IncidentQuerySet(models.QuerySet):
    def critical(self):
        return self.filter(severity=Severity.CRITICAL)

    def unresolved(self):
        return self.exclude(status=IncidentStatus.RESOLVED)

    def detected_between(self, start, end):
        return self.filter(detected_at__gte=start, detected_at__lt=end)
