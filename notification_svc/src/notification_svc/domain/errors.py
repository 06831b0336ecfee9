"""Typed domain errors; the servicer maps each to one gRPC status."""


class NotificationError(Exception):
    pass


class NotificationNotFound(NotificationError):
    pass


class NotRetryable(NotificationError):
    """Only failed notifications can be retried."""


class NotAllowed(NotificationError):
    pass


class InvalidCursor(NotificationError, ValueError):
    """A page token this service did not issue."""


class DeliveryFailed(NotificationError):
    """A channel could not deliver; `reason` is safe to store and show (no personal data)."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


class DependencyUnavailable(NotificationError):
    """A service the delivery needs (identity_svc for the recipient, ticketing_svc for the tickets)
    does not answer for now: nothing is wrong with the notification, so no attempt is counted."""

    def __init__(self, dependency: str, code: str) -> None:
        super().__init__(f"{dependency} {code}")
        self.dependency = dependency


class RecipientUnavailable(NotificationError):
    """The recipient cannot be reached (unknown, inactive): the notification is skipped."""
