"""Typed failures of the catalog. The gRPC servicer maps each one to a status code, in one place."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One rejected input field; ``field`` is its dotted path in the request (``zones.0.price``)."""

    field: str
    message: str
    # A stable word clients translate (the message is English): see FieldErrorOut at the edge.
    code: str = "invalid"

    def under(self, prefix: str) -> FieldProblem:
        return FieldProblem(f"{prefix}.{self.field}" if self.field else prefix, self.message, self.code)


class CatalogError(Exception):
    """Base of every error the catalog reports to its callers."""


class InvalidInput(CatalogError):
    """Some fields are invalid; every problem found is listed, not just the first."""

    def __init__(
        self, problems: Sequence[FieldProblem], message: str = "The request has invalid fields."
    ) -> None:
        super().__init__(message)
        self.problems = list(problems)
        self.message = message

    @classmethod
    def single(cls, field: str, message: str, code: str = "invalid") -> InvalidInput:
        return cls([FieldProblem(field, message, code)], message)


class Unauthenticated(CatalogError):
    """The operation needs a signed-in caller."""


class NotAllowed(CatalogError):
    """The caller is known and may see the resource, but their role may not do this."""


class EventNotFound(CatalogError):
    """No such event, or one the caller may not see (another organization's draft looks the same)."""

    def __init__(self, event_id: uuid.UUID | str) -> None:
        super().__init__(f"Event {event_id} not found.")


class SessionNotFound(CatalogError):
    def __init__(self, session_id: uuid.UUID | str) -> None:
        super().__init__(f"Session {session_id} not found.")


class StaleVersion(CatalogError):
    """The caller edited an older version of the event (optimistic locking)."""

    def __init__(self, expected: int, current: int) -> None:
        super().__init__(f"The event is at version {current}, not {expected}: reload it and retry.")
        self.expected = expected
        self.current = current


class InvalidTransition(CatalogError):
    """The event's or session's status does not allow this change now."""


class VenueConflict(CatalogError):
    """The session would overlap another at the same venue and place, in this event or another.

    Which sessions keep each other out (ADR 0014): any two of one organization that are not
    cancelled, drafts included; of two organizations, only two public ones (out of draft).
    ``field`` names the request field that caused it, once the handler knows.
    """

    def __init__(self, message: str, *, session_id: uuid.UUID, field: str = "") -> None:
        super().__init__(message)
        self.session_id = session_id
        self.field = field

    def at(self, field: str) -> VenueConflict:
        """The same conflict, attributed to the request field that caused it."""
        raise NotImplementedError


class SessionOverlap(VenueConflict):
    """The other session is the organization's own: the error names it and its times."""

    def __init__(
        self,
        *,
        session_id: uuid.UUID,
        conflicting_session_id: uuid.UUID,
        conflicting_starts_at: str,
        conflicting_ends_at: str,
        field: str = "",
    ) -> None:
        super().__init__(
            f"The session overlaps session {conflicting_session_id} "
            f"({conflicting_starts_at} to {conflicting_ends_at}) at the same venue and place.",
            session_id=session_id,
            field=field,
        )
        self.conflicting_session_id = conflicting_session_id
        self.conflicting_starts_at = conflicting_starts_at
        self.conflicting_ends_at = conflicting_ends_at

    def at(self, field: str) -> SessionOverlap:
        return SessionOverlap(
            session_id=self.session_id,
            conflicting_session_id=self.conflicting_session_id,
            conflicting_starts_at=self.conflicting_starts_at,
            conflicting_ends_at=self.conflicting_ends_at,
            field=field,
        )


class VenueSlotTaken(VenueConflict):
    """Another organization's public session holds the slot. Nothing of it is said (not its id,
    event, name or times): another organization's schedule is theirs to publish, not ours."""

    def __init__(self, *, session_id: uuid.UUID, field: str = "") -> None:
        super().__init__(
            "This time slot at the venue and place is already taken.", session_id=session_id, field=field
        )

    def at(self, field: str) -> VenueSlotTaken:
        return VenueSlotTaken(session_id=self.session_id, field=field)


class IdempotencyKeyReused(CatalogError):
    """The Idempotency-Key was already used for a different request."""

    def __init__(self) -> None:
        super().__init__(
            "This Idempotency-Key was already used with a different request; use a new key for a new request."
        )


class PlacesTaken(CatalogError):
    """The change would leave fewer places than buyers already hold or bought."""

    def __init__(
        self, message: str, *, taken: int, zone: str | None = None, session_id: uuid.UUID | None = None
    ) -> None:
        super().__init__(message)
        self.taken = taken
        self.zone = zone
        self.session_id = session_id


class SalesUnknown(CatalogError):
    """The places held and sold could not be checked now (ticketing_svc did not answer)."""
