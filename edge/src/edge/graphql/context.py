"""Per request: the caller, and loaders that batch what the resolvers ask of the services.

Resolvers never call a client per item: each asks a loader for one key, and a loader gathers every
key asked for in the same tick into one call (``GetEvents`` / ``GetEventsAvailability``, at most
:data:`BATCH` ids each). A list of N events with zones, sessions and availability thus costs the
services a constant number of calls, whatever N (up to ``first``'s limit).

Loaders live for one request only: one caller's view of an event (an organizer sees its drafts) is
never served to another.
"""

from __future__ import annotations

from collections.abc import Sequence

import grpc
from strawberry.dataloader import DataLoader
from strawberry.fastapi import BaseContext

from edge.clients.events import EventsClient
from edge.clients.ticketing import TicketingClient
from edge.graphql.limits import public_rpc_error
from taquilla.events.v1 import event_service_pb2 as events_pb
from taquilla.ticketing.v1 import ticketing_service_pb2 as ticketing_pb
from taquilla_runtime.principal import Principal

BATCH = 100  # the most ids GetEvents and GetEventsAvailability take at once


class GraphQLContext(BaseContext):
    def __init__(self, principal: Principal | None, events: EventsClient, ticketing: TicketingClient) -> None:
        super().__init__()
        self.principal = principal
        self.events_client = events
        self.ticketing_client = ticketing
        self.events: DataLoader[str, events_pb.Event | None] = DataLoader(
            self._load_events, max_batch_size=BATCH
        )
        self.availability: DataLoader[str, ticketing_pb.GetAvailabilityResponse | None] = DataLoader(
            self._load_availability, max_batch_size=BATCH
        )

    async def _load_events(self, event_ids: Sequence[str]) -> list[events_pb.Event | None]:
        try:
            found = await self.events_client.get_events(self.principal, list(event_ids))
        except grpc.aio.AioRpcError as error:
            raise public_rpc_error(error) from error
        by_id = {event.id: event for event in found}
        return [by_id.get(event_id) for event_id in event_ids]

    async def _load_availability(
        self, event_ids: Sequence[str]
    ) -> list[ticketing_pb.GetAvailabilityResponse | None]:
        try:
            found = await self.ticketing_client.events_availability(list(event_ids))
        except grpc.aio.AioRpcError as error:
            raise public_rpc_error(error) from error
        by_id = {answer.event_id: answer for answer in found}
        return [by_id.get(event_id) for event_id in event_ids]
