"""Typed client of taquilla.events.v1.EventService: every call carries the caller and a deadline.

The caller's verified principal travels as gRPC metadata (never in the request body); the channel
adds the request's correlation id. A stale ``expected_version`` (gRPC ABORTED) is raised as
:class:`StaleVersion`, which edge.errors answers with 412; every other gRPC error propagates to the
edge's single gRPC → HTTP mapping. Built once at start-up (the app's lifespan), like every client.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence

import grpc

from taquilla.events.v1 import event_service_pb2 as pb
from taquilla.events.v1 import event_service_pb2_grpc
from taquilla_runtime.principal import Principal


class StaleVersion(Exception):
    """The event changed since the version the caller sent (If-Match)."""


def _metadata(principal: Principal | None) -> Sequence[tuple[str, str]]:
    return (principal.to_metadata(),) if principal else ()


@contextlib.contextmanager
def _stale_version() -> Iterator[None]:
    try:
        yield
    except grpc.aio.AioRpcError as error:
        if error.code() == grpc.StatusCode.ABORTED:
            raise StaleVersion(error.details() or "The event has changed.") from error
        raise


class EventsClient:
    def __init__(self, channel: grpc.aio.Channel, deadline: float) -> None:
        self._stub = event_service_pb2_grpc.EventServiceStub(channel)
        self._deadline = deadline

    async def create_event(
        self, principal: Principal, event: pb.EventInput, *, publish: bool, idempotency_key: str | None
    ) -> pb.Event:
        reply: pb.CreateEventResponse = await self._stub.CreateEvent(
            pb.CreateEventRequest(event=event, publish=publish, idempotency_key=idempotency_key or ""),
            metadata=_metadata(principal),
            timeout=self._deadline,
        )
        return reply.event

    async def batch_create_events(
        self, principal: Principal, items: Sequence[pb.BatchEventInput], *, idempotency_key: str | None
    ) -> pb.BatchCreateEventsResponse:
        reply: pb.BatchCreateEventsResponse = await self._stub.BatchCreateEvents(
            pb.BatchCreateEventsRequest(events=items, idempotency_key=idempotency_key or ""),
            metadata=_metadata(principal),
            # A hundred events with their sessions is more work than one call usually is.
            timeout=self._deadline * 4,
        )
        return reply

    async def get_event(self, principal: Principal | None, event_id: str) -> pb.Event:
        reply: pb.GetEventResponse = await self._stub.GetEvent(
            pb.GetEventRequest(event_id=event_id), metadata=_metadata(principal), timeout=self._deadline
        )
        return reply.event

    async def get_events(self, principal: Principal | None, event_ids: Sequence[str]) -> list[pb.Event]:
        """The events among these ids the caller may see, in the order asked (one call for a list)."""
        reply: pb.GetEventsResponse = await self._stub.GetEvents(
            pb.GetEventsRequest(event_ids=event_ids), metadata=_metadata(principal), timeout=self._deadline
        )
        return list(reply.events)

    async def update_event(
        self, principal: Principal, event_id: str, expected_version: int, patch: pb.EventPatch
    ) -> pb.Event:
        with _stale_version():
            reply: pb.UpdateEventResponse = await self._stub.UpdateEvent(
                pb.UpdateEventRequest(event_id=event_id, expected_version=expected_version, patch=patch),
                metadata=_metadata(principal),
                timeout=self._deadline,
            )
        return reply.event

    async def feature_event(self, principal: Principal, event_id: str, featured: bool) -> pb.Event:
        reply: pb.FeatureEventResponse = await self._stub.FeatureEvent(
            pb.FeatureEventRequest(event_id=event_id, featured=featured),
            metadata=_metadata(principal),
            timeout=self._deadline,
        )
        return reply.event

    async def publish_event(
        self, principal: Principal, event_id: str, expected_version: int | None
    ) -> pb.Event:
        with _stale_version():
            reply: pb.PublishEventResponse = await self._stub.PublishEvent(
                pb.PublishEventRequest(event_id=event_id, expected_version=expected_version),
                metadata=_metadata(principal),
                timeout=self._deadline,
            )
        return reply.event

    async def cancel_event(
        self, principal: Principal, event_id: str, expected_version: int | None, reason: str
    ) -> pb.Event:
        with _stale_version():
            reply: pb.CancelEventResponse = await self._stub.CancelEvent(
                pb.CancelEventRequest(event_id=event_id, expected_version=expected_version, reason=reason),
                metadata=_metadata(principal),
                timeout=self._deadline,
            )
        return reply.event

    async def delete_event(self, principal: Principal, event_id: str, expected_version: int | None) -> None:
        with _stale_version():
            await self._stub.DeleteEvent(
                pb.DeleteEventRequest(event_id=event_id, expected_version=expected_version),
                metadata=_metadata(principal),
                timeout=self._deadline,
            )

    async def list_sessions(self, principal: Principal | None, event_id: str) -> pb.ListSessionsResponse:
        reply: pb.ListSessionsResponse = await self._stub.ListSessions(
            pb.ListSessionsRequest(event_id=event_id), metadata=_metadata(principal), timeout=self._deadline
        )
        return reply

    async def get_session(
        self, principal: Principal | None, event_id: str, session_id: str
    ) -> pb.GetSessionResponse:
        reply: pb.GetSessionResponse = await self._stub.GetSession(
            pb.GetSessionRequest(event_id=event_id, session_id=session_id),
            metadata=_metadata(principal),
            timeout=self._deadline,
        )
        return reply

    async def add_session(
        self,
        principal: Principal,
        event_id: str,
        session: pb.SessionInput,
        *,
        expected_version: int | None,
        idempotency_key: str | None,
    ) -> pb.AddSessionResponse:
        request = pb.AddSessionRequest(
            event_id=event_id,
            session=session,
            expected_version=expected_version,
            idempotency_key=idempotency_key or "",
        )
        with _stale_version():
            reply: pb.AddSessionResponse = await self._stub.AddSession(
                request, metadata=_metadata(principal), timeout=self._deadline
            )
        return reply

    async def update_session(
        self,
        principal: Principal,
        event_id: str,
        session_id: str,
        expected_version: int,
        patch: pb.SessionPatch,
    ) -> pb.UpdateSessionResponse:
        request = pb.UpdateSessionRequest(
            event_id=event_id, session_id=session_id, expected_version=expected_version, patch=patch
        )
        with _stale_version():
            reply: pb.UpdateSessionResponse = await self._stub.UpdateSession(
                request, metadata=_metadata(principal), timeout=self._deadline
            )
        return reply

    async def remove_session(
        self, principal: Principal, event_id: str, session_id: str, expected_version: int | None
    ) -> int:
        request = pb.RemoveSessionRequest(
            event_id=event_id, session_id=session_id, expected_version=expected_version
        )
        with _stale_version():
            reply: pb.RemoveSessionResponse = await self._stub.RemoveSession(
                request, metadata=_metadata(principal), timeout=self._deadline
            )
        return int(reply.event_version)

    async def list_organization_events(
        self, principal: Principal, *, statuses: Sequence[pb.EventStatus.ValueType], limit: int, cursor: str
    ) -> pb.ListOrganizationEventsResponse:
        reply: pb.ListOrganizationEventsResponse = await self._stub.ListOrganizationEvents(
            pb.ListOrganizationEventsRequest(page_size=limit, page_token=cursor, statuses=statuses),
            metadata=_metadata(principal),
            timeout=self._deadline,
        )
        return reply

    async def search_events(self, request: pb.SearchEventsRequest) -> pb.SearchEventsResponse:
        """Published events only: the answer is the same for every caller, so none is sent."""
        reply: pb.SearchEventsResponse = await self._stub.SearchEvents(request, timeout=self._deadline)
        return reply
