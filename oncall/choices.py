from django.db import models


class ShiftKind(models.TextChoices):
    REGULAR = "regular", "Regular"
    HOLIDAY = "holiday", "Holiday"


class CustomHolidayKind(models.TextChoices):
    ADDITION = "addition", "Add this day as a holiday"
    REMOVAL = "removal", "This day is not a holiday"


class NotificationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class TradeStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    CANCELLED = "cancelled", "Cancelled"
    EXPIRED = "expired", "Expired"
