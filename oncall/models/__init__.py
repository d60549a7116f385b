from .chat import ChatMessage
from .members import TeamMember
from .notifications import Notification
from .rotations import CustomHoliday, HolidayRecord, Rotation, RotationMembership, Shift
from .tokens import PersonalToken
from .trades import HolidayTrade

__all__ = [
    "ChatMessage",
    "CustomHoliday",
    "HolidayRecord",
    "HolidayTrade",
    "Notification",
    "PersonalToken",
    "Rotation",
    "RotationMembership",
    "Shift",
    "TeamMember",
]
