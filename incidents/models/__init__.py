from .channels import ChatChannel
from .incidents import AcknowledgeLinkUse, Communication, Incident, IncidentNote, IncidentSignal

__all__ = [
    "AcknowledgeLinkUse",
    "ChatChannel",
    "Communication",
    "Incident",
    "IncidentNote",
    "IncidentSignal",
]
