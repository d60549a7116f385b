"""Domain errors of the incidents app; views and the API turn them into form errors and 400s."""

from django.core.exceptions import ValidationError


class IncidentStepError(ValidationError):
    """An acknowledgement, mitigation or resolution that cannot be recorded as asked."""
