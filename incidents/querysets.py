from django.db import models
from django.db.models import BooleanField, Case, Value, When

from .choices import IncidentStatus, Severity


def resolved_flag() -> Case:
    """True for a resolved incident: the first key of the open-first order, and of the index that serves it."""
    return Case(
        When(status=IncidentStatus.RESOLVED, then=Value(True)), default=Value(False), output_field=BooleanField()
    )


class IncidentQuerySet(models.QuerySet):
    def critical(self):
        return self.filter(severity=Severity.CRITICAL)

    def unresolved(self):
        return self.exclude(status=IncidentStatus.RESOLVED)

    def detected_between(self, start, end):
        return self.filter(detected_at__gte=start, detected_at__lt=end)

    def open_first(self):
        """Unresolved incidents before resolved ones, newest first within each (index `incidents_inc_open_first`)."""
        return self.annotate(is_resolved=resolved_flag()).order_by("is_resolved", "-detected_at", "-pk")
