from .channels import ChatChannel
from .incidents import AcknowledgeLinkUse, Communication, Incident, IncidentNote, IncidentSignal
from .reports import SlaEscalation, SlaPolicy, SlaReport, SlaReview

__all__ = [
    "AcknowledgeLinkUse",
    "ChatChannel",
    "Communication",
    "Incident",
    "IncidentNote",
    "IncidentSignal",
    "SlaEscalation",
    "SlaPolicy",
    "SlaReport",
    "SlaReview",
]
