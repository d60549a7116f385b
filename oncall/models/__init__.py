from .chat import ChatMessage
from .members import TeamMember
from .notifications import Notification
from .rotations import CustomHoliday, HolidayRecord, Rotation, RotationMembership, Shift
from .trades import HolidayTrade

__all__ = [
    "ChatMessage",
    "CustomHoliday",
    "HolidayRecord",
    "HolidayTrade",
    "Notification",
    "Rotation",
    "RotationMembership",
    "Shift",
    "TeamMember",
]
