"""ticketing_svc's messages (taquilla.ticketing.v1) that the catalog follows: sold-out transitions."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from event_svc.domain.commands import FollowSales
from taquilla_runtime.messaging.consumer import PoisonMessage
from taquilla_runtime.messaging.envelope import Envelope

TRANSITIONS = {"ZoneSoldOut": True, "ZoneBackOnSale": False}


def command_for(envelope: Envelope) -> FollowSales | None:
    """The command a message asks for; None for the messages the catalog does not follow."""
    sold_out = TRANSITIONS.get(envelope.type)
    if sold_out is None:
        return None
    try:
        return FollowSales(
            session_id=uuid.UUID(str(envelope.payload["sessionId"])),
            zone_id=uuid.UUID(str(envelope.payload["zoneId"])),
            sold_out=sold_out,
        )
    except (KeyError, ValueError) as exc:
        raise PoisonMessage(f"{envelope.type}: {type(exc).__name__}") from None


def sales_handler(follow: Callable[[FollowSales], Awaitable[bool]]) -> Callable[[Envelope], Awaitable[None]]:
    async def handle(envelope: Envelope) -> None:
        command = command_for(envelope)
        if command is not None:
            await follow(command)

    return handle
