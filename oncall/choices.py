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


class OptionalEmail(models.TextChoices):
    """Notification kinds a member may switch off on /account/.

    Pages about incidents and account emails (invitations, password resets) are not listed: they
    always go out.
    """

    BLOCK_REMINDER = "oncall.block-reminder", "Reminder the day before my on-call block"
    HOLIDAY_REMINDER = "oncall.holiday-reminder", "Reminder before a holiday shift"
    TRADE_REQUESTED = "oncall.trade-requested", "A colleague offers me a holiday trade"
    TRADE_ACCEPTED = "oncall.trade-accepted", "A holiday trade of mine is done"
    TRADE_DECLINED = "oncall.trade-declined", "A colleague declines my holiday trade"
    TRADE_CANCELLED = "oncall.trade-cancelled", "A colleague withdraws a trade offered to me"
    SLA_ESCALATION = "incidents.sla-escalation", "SLA breach escalations"
    DELAY_NOTICE = "incidents.delay-notice", "Delivery delay notices"
