from .incidents import Communication, Incident, IncidentNote
from .reports import SlaEscalation, SlaPolicy, SlaReport, SlaReview

__all__ = ["Communication", "Incident", "IncidentNote", "SlaEscalation", "SlaPolicy", "SlaReport", "SlaReview"]
