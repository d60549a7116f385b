from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import F, Q

from ..choices import TradeStatus
from ..history import track, tracked_history
from .members import TeamMember
from .rotations import Shift


class HolidayTrade(models.Model):
    """A member offers one of their holiday shifts to a colleague: a swap for one of theirs, or a give-away.

    When accepted, `shift` goes to the counterparty and `counterparty_shift` (if any) to the requester;
    the row keeps who gave what to whom and when.
    """

    # PROTECT: a trade is history; the shifts it moved are kept with it.
    shift = models.ForeignKey(Shift, on_delete=models.PROTECT, related_name="offered_in_trades")
    requested_by = models.ForeignKey(TeamMember, on_delete=models.PROTECT, related_name="trades_requested")
    counterparty = models.ForeignKey(TeamMember, on_delete=models.PROTECT, related_name="trades_received")
    counterparty_shift = models.ForeignKey(
        Shift, on_delete=models.PROTECT, null=True, blank=True, related_name="asked_for_in_trades"
    )
    message = models.TextField(blank=True, max_length=1000, validators=[MaxLengthValidator(1000)])
    status = models.CharField(max_length=10, choices=TradeStatus.choices, default=TradeStatus.PENDING)
    warning = models.CharField(max_length=500, blank=True, help_text="Why the trade breaks the holiday window.")
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    history = tracked_history()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["shift"], condition=Q(status=TradeStatus.PENDING), name="%(app_label)s_%(class)s_one_pending"
            ),
            models.CheckConstraint(
                condition=~Q(requested_by=F("counterparty")), name="%(app_label)s_%(class)s_two_people"
            ),
            models.CheckConstraint(
                condition=Q(counterparty_shift__isnull=True) | ~Q(counterparty_shift=F("shift")),
                name="%(app_label)s_%(class)s_two_shifts",
            ),
            models.CheckConstraint(
                condition=Q(status=TradeStatus.PENDING, decided_at__isnull=True)
                | (~Q(status=TradeStatus.PENDING) & Q(decided_at__isnull=False)),
                name="%(app_label)s_%(class)s_decided_when_not_pending",
            ),
        ]

    def __str__(self) -> str:
        what = f"swap for {self.counterparty_shift}" if self.counterparty_shift_id else "give-away"
        return f"{self.requested_by} → {self.counterparty}: {self.shift} ({what}, {self.get_status_display()})"

    @property
    def is_swap(self) -> bool:
        return self.counterparty_shift_id is not None


track("trade", HolidayTrade)
