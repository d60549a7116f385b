"""Domain errors of the on-call app; views and the API turn them into form errors and 400s."""

from django.core.exceptions import ValidationError


class TradeError(ValidationError):
    """A holiday trade that cannot be requested or answered; `message_dict` names the field."""


class TradeNeedsConfirmation(Exception):
    """The trade would break the holiday window: allowed, but only once the requester confirms."""

    def __init__(self, warning: str):
        self.warning = warning
        super().__init__(warning)
