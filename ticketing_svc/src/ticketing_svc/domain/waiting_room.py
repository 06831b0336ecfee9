"""The on-sale waiting room: who is admitted when, and the admission that proves it.

Buyers who join before the on-sale are put in a random order at the on-sale (arriving early gives
no advantage); later ones queue first come, first served. Admission follows the clock, not a
worker: by ``t`` seconds after the on-sale, the first ``t * rate / 60`` places of the line are
admitted, so every replica and every restart agrees on who is in. An admitted buyer gets a signed,
short-lived token bound to the account and the event; reservations of a gated event require it.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import enum
import hashlib
import hmac
import json
import math
import uuid
from dataclasses import dataclass

from ticketing_svc.domain.errors import AdmissionRequired
from ticketing_svc.domain.model import SaleSettings

# The waiting room opens this long before the on-sale.
OPENS_BEFORE = dt.timedelta(minutes=30)
# How long an admission lasts: enough to choose places and reserve.
ADMISSION_LIFETIME = dt.timedelta(minutes=10)


class QueueStatus(enum.StrEnum):
    WAITING = "waiting"
    ADMITTED = "admitted"
    SOLD_OUT = "sold_out"


@dataclass(frozen=True, slots=True)
class QueueEntry:
    id: uuid.UUID
    event_id: uuid.UUID
    customer_id: uuid.UUID
    joined_at: dt.datetime
    # 0-based place in the line (None while the order is not drawn: before the on-sale).
    rank: int | None


@dataclass(frozen=True, slots=True)
class QueueStanding:
    entry: QueueEntry
    status: QueueStatus
    # 1-based; None before the on-sale, when the early arrivals' order is not drawn yet.
    position: int | None
    estimated_wait_seconds: int | None
    admission: str | None = None
    admission_expires_at: dt.datetime | None = None
    opens_at: dt.datetime | None = None


def admitted_count(settings: SaleSettings, now: dt.datetime) -> int:
    """How many places of the line are admitted by ``now``."""
    if settings.on_sale_at is None or now < settings.on_sale_at:
        return 0
    elapsed = (now - settings.on_sale_at).total_seconds()
    return math.floor(elapsed * settings.admission_per_minute / 60)


def standing(
    entry: QueueEntry, settings: SaleSettings, now: dt.datetime, *, sold_out: bool, secret: bytes
) -> QueueStanding:
    """Where the buyer stands now, with an admission once it is their turn."""
    on_sale_at = settings.on_sale_at
    if sold_out:
        return QueueStanding(entry, QueueStatus.SOLD_OUT, None, None)
    if entry.rank is None or on_sale_at is None or now < on_sale_at:
        wait = (
            int((on_sale_at - now).total_seconds()) if on_sale_at is not None and now < on_sale_at else None
        )
        return QueueStanding(entry, QueueStatus.WAITING, None, wait, opens_at=on_sale_at)
    admitted = admitted_count(settings, now)
    if entry.rank < admitted:
        # Once through, a buyer stays through: each poll renews a short admission, so a token that
        # leaks is worth minutes, never the whole sale.
        expires_at = now + ADMISSION_LIFETIME
        token = admission_token(secret, entry.event_id, entry.customer_id, expires_at)
        return QueueStanding(entry, QueueStatus.ADMITTED, 0, 0, token, expires_at)
    ahead = entry.rank - admitted
    wait = math.ceil((ahead + 1) * 60 / settings.admission_per_minute)
    return QueueStanding(entry, QueueStatus.WAITING, ahead + 1, wait)


def can_join(settings: SaleSettings, now: dt.datetime) -> bool:
    return settings.on_sale_at is None or now >= settings.on_sale_at - OPENS_BEFORE


# ---------------------------------------------------------------- admissions


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def admission_token(
    secret: bytes, event_id: uuid.UUID, customer_id: uuid.UUID, expires_at: dt.datetime
) -> str:
    body = json.dumps(
        {"e": str(event_id), "c": str(customer_id), "x": int(expires_at.timestamp())}, separators=(",", ":")
    ).encode()
    signature = hmac.new(secret, body, hashlib.sha256).digest()
    return f"{_b64(body)}.{_b64(signature)}"


def check_admission(
    secret: bytes, token: str | None, *, event_id: uuid.UUID, customer_id: uuid.UUID, now: dt.datetime
) -> None:
    """Raises AdmissionRequired unless ``token`` admits this account to this event now."""
    if not token:
        raise AdmissionRequired("This sale has a waiting room: join the queue and wait for your turn.")
    try:
        body_part, signature_part = token.split(".", 1)
        body = _unb64(body_part)
        signature = _unb64(signature_part)
        claims = json.loads(body)
    except (ValueError, binascii.Error):
        raise AdmissionRequired("The admission is not valid: join the queue again.") from None
    expected = hmac.new(secret, body, hashlib.sha256).digest()
    if not hmac.compare_digest(signature, expected) or not isinstance(claims, dict):
        raise AdmissionRequired("The admission is not valid: join the queue again.")
    if claims.get("e") != str(event_id) or claims.get("c") != str(customer_id):
        raise AdmissionRequired("This admission is for another account or event.")
    if not isinstance(claims.get("x"), int) or claims["x"] <= now.timestamp():
        raise AdmissionRequired("Your admission has expired: join the queue again.")
