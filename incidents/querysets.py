from django.db import models
from django.db.models import BooleanField, Case, Value, When

from .choices import IncidentStatus, Severity


class IncidentQuerySet(models.QuerySet):
    def critical(self):
        return self.filter(severity=Severity.CRITICAL)

    def unresolved(self):
        return self.exclude(status=IncidentStatus.RESOLVED)

    def detected_between(self, start, end):
        return self.filter(detected_at__gte=start, detected_at__lt=end)

    def open_first(self):
        """Unresolved incidents before resolved ones, newest first within each."""
        resolved = Case(
            When(status=IncidentStatus.RESOLVED, then=Value(True)), default=Value(False), output_field=BooleanField()
        )
        return self.annotate(is_resolved=resolved).order_by("is_resolved", "-detected_at", "-pk")
