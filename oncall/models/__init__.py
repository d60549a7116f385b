from .members import TeamMember
from .notifications import Notification
from .rotations import CustomHoliday, HolidayRecord, Rotation, RotationMembership, Shift

__all__ = [
    "CustomHoliday",
    "HolidayRecord",
    "Notification",
    "Rotation",
    "RotationMembership",
    "Shift",
    "TeamMember",
]
