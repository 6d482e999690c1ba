"""Why a message could not be sent.

Callers show users one clear message ("we could not send the code") whatever the cause; the
class and ``reason`` are for logs and metrics. Messages never contain credentials.
"""

from __future__ import annotations


class SendError(Exception):
    """A message could not be handed to the relay or gateway.

    ``retryable`` tells whether trying again later may work (timeouts, 429, 5xx) as opposed to
    a configuration problem (refused credentials) or a bad recipient.
    """

    def __init__(
        self,
        message: str,
        *,
        channel: str,
        reason: str,
        retryable: bool = False,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.channel = channel  # email | sms
        self.reason = reason  # unreachable | timeout | auth | refused | recipient | rate_limited...
        self.retryable = retryable
        self.retry_after = retry_after


class InvalidRecipient(SendError):
    """The address or number itself is not acceptable (malformed, refused by the relay)."""

    def __init__(self, message: str, *, channel: str) -> None:
        super().__init__(message, channel=channel, reason="recipient")
