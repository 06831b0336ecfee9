"""What happened in identity that other services hear of (past tense), through the outbox."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RegistrationAttempted:
    """Someone tried to register with the address of an existing account: its owner is told by
    e-mail (notification_svc), while the caller got the same answer as for a new address."""

    user_id: uuid.UUID
    occurred_at: dt.datetime


DomainEvent = RegistrationAttempted
