"""gRPC servicer of taquilla.events.v1.EventService: translates protobuf and back, nothing more.

Domain errors become gRPC status codes here, in :class:`ErrorsAsStatus`, and nowhere else.
Invalid fields travel as JSON in the ``x-taquilla-field-errors`` trailer (taquilla_runtime.grpc_errors).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc

from event_svc.application import handlers
from event_svc.application.handlers import BatchItemStatus, BatchOutcome, Clock, system_clock
from event_svc.application.ports import CatalogListings, TakenPlaces, UnitOfWork
from event_svc.domain import commands
from event_svc.domain.commands import Actor
from event_svc.domain.errors import (
    EventNotFound,
    IdempotencyKeyReused,
    InvalidInput,
    InvalidTransition,
    NotAllowed,
    PlacesTaken,
    SalesUnknown,
    SessionNotFound,
    StaleVersion,
    Unauthenticated,
    VenueConflict,
)
from event_svc.domain.model import Event, Session
from event_svc.entrypoints import protobuf as convert
from taquilla.events.v1 import event_service_pb2 as pb
from taquilla.events.v1 import event_service_pb2_grpc
from taquilla_runtime import grpc_errors, scopes
from taquilla_runtime.correlation import get_correlation_id
from taquilla_runtime.grpc_errors import FieldError, NamedProblem, abort_with_field_errors, abort_with_problem
from taquilla_runtime.principal import InvalidPrincipal, Principal
from taquilla_runtime.scopes import ScopePolicy

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["EventService"].full_name
# The scope each RPC needs of a user's or API client's token (taquilla_runtime.scopes); anonymous
# calls read the public catalog. FindEventBySession is for other services only (not listed).
SCOPES: ScopePolicy = {
    **dict.fromkeys(
        ("GetEvent", "GetEvents", "ListSessions", "GetSession", "SearchEvents", "ListOrganizationEvents"),
        scopes.EVENTS_READ,
    ),
    **dict.fromkeys(
        (
            "CreateEvent",
            "BatchCreateEvents",
            "UpdateEvent",
            "PublishEvent",
            "CancelEvent",
            "FeatureEvent",
            "DeleteEvent",
            "AddSession",
            "UpdateSession",
            "RemoveSession",
        ),
        scopes.EVENTS_WRITE,
    ),
}
DEFAULT_PAGE_SIZE = 20
Context = Any  # grpc.aio.ServicerContext (grpc ships no type information)

_BATCH_STATUS = {
    BatchItemStatus.CREATED: pb.BATCH_ITEM_STATUS_CREATED,
    BatchItemStatus.INVALID: pb.BATCH_ITEM_STATUS_INVALID,
    BatchItemStatus.CONFLICT: pb.BATCH_ITEM_STATUS_CONFLICT,
    BatchItemStatus.NOT_CREATED: pb.BATCH_ITEM_STATUS_NOT_CREATED,
}


class ErrorsAsStatus(grpc_errors.ErrorsAsStatus):
    """The one mapping of the catalog's errors to gRPC status codes."""

    async def abort_for(self, context: Context, exc: BaseException) -> None:
        match exc:
            case InvalidInput(problems=problems, message=message):
                errors = [FieldError(problem.field, problem.message, problem.code) for problem in problems]
                await abort_with_field_errors(context, errors, detail=message)
            case VenueConflict(field=field):
                await abort_with_field_errors(
                    context,
                    [FieldError(field or "sessions", str(exc))],
                    code=grpc.StatusCode.ALREADY_EXISTS,
                    detail=str(exc),
                )
            case IdempotencyKeyReused():
                await abort_with_field_errors(
                    context, [FieldError("idempotency_key", str(exc))], detail=str(exc)
                )
            case EventNotFound() | SessionNotFound():
                await context.abort(grpc.StatusCode.NOT_FOUND, str(exc))
            case StaleVersion():
                await context.abort(grpc.StatusCode.ABORTED, str(exc))
            case PlacesTaken(taken=taken, zone=zone, session_id=session_id):
                extensions: dict[str, object] = {"taken": taken}
                if zone is not None:
                    extensions["zone"] = zone
                if session_id is not None:
                    extensions["session_id"] = str(session_id)
                await abort_with_problem(
                    context,
                    grpc.StatusCode.FAILED_PRECONDITION,
                    str(exc),
                    NamedProblem("places-taken", extensions),
                )
            case InvalidTransition():
                await context.abort(grpc.StatusCode.FAILED_PRECONDITION, str(exc))
            case SalesUnknown():
                await context.abort(grpc.StatusCode.UNAVAILABLE, str(exc))
            case NotAllowed():
                await context.abort(grpc.StatusCode.PERMISSION_DENIED, str(exc))
            case Unauthenticated() | InvalidPrincipal():
                await context.abort(grpc.StatusCode.UNAUTHENTICATED, str(exc))


def _actor(context: Context) -> Actor | None:
    return convert.actor_from(Principal.from_metadata(context.invocation_metadata()))


def _encode(message: Any) -> bytes:
    data: bytes = message.SerializeToString(deterministic=True)
    return data


def _version(request: Any) -> int | None:
    return request.expected_version if request.HasField("expected_version") else None


class EventServicer(event_service_pb2_grpc.EventServiceServicer):
    def __init__(
        self,
        unit_of_work: Callable[[], UnitOfWork],
        listings: CatalogListings,
        clock: Clock = system_clock,
        taken: TakenPlaces | None = None,
    ) -> None:
        self._uow = unit_of_work
        self._listings = listings
        self._clock = clock
        self._taken = taken

    async def CreateEvent(self, request: pb.CreateEventRequest, context: Context) -> pb.CreateEventResponse:
        async with ErrorsAsStatus(context):
            command = commands.CreateEvent(
                actor=_actor(context),
                correlation_id=get_correlation_id(),
                event=convert.event_input(request.event),
                publish=request.publish,
                idempotency=convert.idempotency_of(request),
            )
            raw = await handlers.create_event(
                command,
                self._uow(),
                encode=lambda event: _encode(pb.CreateEventResponse(event=convert.event_message(event))),
                clock=self._clock,
            )
            return pb.CreateEventResponse.FromString(raw)

    async def BatchCreateEvents(
        self, request: pb.BatchCreateEventsRequest, context: Context
    ) -> pb.BatchCreateEventsResponse:
        async with ErrorsAsStatus(context):
            command = commands.BatchCreateEvents(
                actor=_actor(context),
                correlation_id=get_correlation_id(),
                items=tuple(_batch_item(index, item) for index, item in enumerate(request.events)),
                idempotency=convert.idempotency_of(request),
            )
            raw = await handlers.batch_create_events(
                command, self._uow(), encode=_encode_batch, clock=self._clock
            )
            return pb.BatchCreateEventsResponse.FromString(raw)

    async def GetEvent(self, request: pb.GetEventRequest, context: Context) -> pb.GetEventResponse:
        async with ErrorsAsStatus(context):
            command = commands.GetEvent(actor=_actor(context), event_id=convert.event_id_of(request.event_id))
            event = await handlers.get_event(command, self._uow())
            return pb.GetEventResponse(event=convert.event_message(event))

    async def GetEvents(self, request: pb.GetEventsRequest, context: Context) -> pb.GetEventsResponse:
        async with ErrorsAsStatus(context):
            command = commands.GetEvents(actor=_actor(context), event_ids=tuple(request.event_ids))
            found = await handlers.get_events(command, self._uow())
            return pb.GetEventsResponse(events=[convert.event_message(event) for event in found])

    async def UpdateEvent(self, request: pb.UpdateEventRequest, context: Context) -> pb.UpdateEventResponse:
        async with ErrorsAsStatus(context):
            command = commands.UpdateEvent(
                actor=_actor(context),
                correlation_id=get_correlation_id(),
                event_id=convert.event_id_of(request.event_id),
                expected_version=request.expected_version,
                changes=convert.event_changes(request.patch),
            )
            event = await handlers.update_event(command, self._uow(), clock=self._clock, taken=self._taken)
            return pb.UpdateEventResponse(event=convert.event_message(event))

    async def PublishEvent(
        self, request: pb.PublishEventRequest, context: Context
    ) -> pb.PublishEventResponse:
        async with ErrorsAsStatus(context):
            command = commands.PublishEvent(
                actor=_actor(context),
                correlation_id=get_correlation_id(),
                event_id=convert.event_id_of(request.event_id),
                expected_version=_version(request),
            )
            event = await handlers.publish_event(command, self._uow(), clock=self._clock)
            return pb.PublishEventResponse(event=convert.event_message(event))

    async def CancelEvent(self, request: pb.CancelEventRequest, context: Context) -> pb.CancelEventResponse:
        async with ErrorsAsStatus(context):
            command = commands.CancelEvent(
                actor=_actor(context),
                correlation_id=get_correlation_id(),
                event_id=convert.event_id_of(request.event_id),
                expected_version=_version(request),
                reason=request.reason,
            )
            event = await handlers.cancel_event(command, self._uow(), clock=self._clock)
            return pb.CancelEventResponse(event=convert.event_message(event))

    async def FeatureEvent(
        self, request: pb.FeatureEventRequest, context: Context
    ) -> pb.FeatureEventResponse:
        async with ErrorsAsStatus(context):
            command = commands.FeatureEvent(
                actor=_actor(context),
                correlation_id=get_correlation_id(),
                event_id=convert.event_id_of(request.event_id),
                featured=request.featured,
            )
            event = await handlers.feature_event(command, self._uow(), clock=self._clock)
            return pb.FeatureEventResponse(event=convert.event_message(event))

    async def DeleteEvent(self, request: pb.DeleteEventRequest, context: Context) -> pb.DeleteEventResponse:
        async with ErrorsAsStatus(context):
            command = commands.DeleteEvent(
                actor=_actor(context),
                correlation_id=get_correlation_id(),
                event_id=convert.event_id_of(request.event_id),
                expected_version=_version(request),
            )
            await handlers.delete_event(command, self._uow(), clock=self._clock)
            return pb.DeleteEventResponse()

    async def ListSessions(
        self, request: pb.ListSessionsRequest, context: Context
    ) -> pb.ListSessionsResponse:
        async with ErrorsAsStatus(context):
            event_id = convert.event_id_of(request.event_id)
            event = await handlers.get_event(
                commands.GetEvent(actor=_actor(context), event_id=event_id), self._uow()
            )
            return pb.ListSessionsResponse(
                sessions=[convert.session_message(event, session) for session in event.live_sessions],
                event_version=event.version,
            )

    async def FindEventBySession(
        self, request: pb.FindEventBySessionRequest, context: Context
    ) -> pb.FindEventBySessionResponse:
        async with ErrorsAsStatus(context):
            command = commands.FindEventBySession(
                actor=_actor(context), session_id=convert.session_id_of(request.session_id)
            )
            event = await handlers.find_event_by_session(command, self._uow())
            return pb.FindEventBySessionResponse(event=convert.event_message(event))

    async def GetSession(self, request: pb.GetSessionRequest, context: Context) -> pb.GetSessionResponse:
        async with ErrorsAsStatus(context):
            command = commands.GetSession(
                actor=_actor(context),
                event_id=convert.event_id_of(request.event_id),
                session_id=convert.session_id_of(request.session_id),
            )
            event, session = await handlers.get_session(command, self._uow())
            return pb.GetSessionResponse(
                session=convert.session_message(event, session), event_version=event.version
            )

    async def AddSession(self, request: pb.AddSessionRequest, context: Context) -> pb.AddSessionResponse:
        async with ErrorsAsStatus(context):
            command = commands.AddSession(
                actor=_actor(context),
                correlation_id=get_correlation_id(),
                event_id=convert.event_id_of(request.event_id),
                session=convert.session_input(request.session),
                expected_version=_version(request),
                idempotency=convert.idempotency_of(request),
            )
            raw = await handlers.add_session(command, self._uow(), encode=_encode_added, clock=self._clock)
            return pb.AddSessionResponse.FromString(raw)

    async def UpdateSession(
        self, request: pb.UpdateSessionRequest, context: Context
    ) -> pb.UpdateSessionResponse:
        async with ErrorsAsStatus(context):
            command = commands.UpdateSession(
                actor=_actor(context),
                correlation_id=get_correlation_id(),
                event_id=convert.event_id_of(request.event_id),
                session_id=convert.session_id_of(request.session_id),
                expected_version=request.expected_version,
                changes=convert.session_changes(request.patch),
            )
            event, session = await handlers.update_session(command, self._uow(), clock=self._clock)
            return pb.UpdateSessionResponse(
                session=convert.session_message(event, session), event_version=event.version
            )

    async def RemoveSession(
        self, request: pb.RemoveSessionRequest, context: Context
    ) -> pb.RemoveSessionResponse:
        async with ErrorsAsStatus(context):
            command = commands.RemoveSession(
                actor=_actor(context),
                correlation_id=get_correlation_id(),
                event_id=convert.event_id_of(request.event_id),
                session_id=convert.session_id_of(request.session_id),
                expected_version=_version(request),
            )
            event = await handlers.remove_session(command, self._uow(), clock=self._clock, taken=self._taken)
            return pb.RemoveSessionResponse(event_version=event.version)

    async def ListOrganizationEvents(
        self, request: pb.ListOrganizationEventsRequest, context: Context
    ) -> pb.ListOrganizationEventsResponse:
        async with ErrorsAsStatus(context):
            command = commands.ListOrganizationEvents(
                actor=_actor(context),
                statuses=tuple(
                    convert.event_status_name(status) or "unspecified" for status in request.statuses
                ),
                page_size=request.page_size or DEFAULT_PAGE_SIZE,
                after=convert.page_after(request.page_token),
            )
            events, following = await handlers.list_organization_events(command, self._uow())
            return pb.ListOrganizationEventsResponse(
                events=[convert.event_message(event) for event in events],
                next_page_token=convert.page_token(following),
            )

    async def SearchEvents(
        self, request: pb.SearchEventsRequest, context: Context
    ) -> pb.SearchEventsResponse:
        async with ErrorsAsStatus(context):
            command = commands.SearchEvents(
                actor=None,  # the same answer for everyone: only published events are listed
                text=request.query,
                category=convert.category_name(request.category),
                city=request.city,
                date_from=convert.time_field(request, "date_from"),
                date_to=convert.time_field(request, "date_to"),
                price_min=request.price_min,
                price_max=request.price_max,
                available_only=request.available_only,
                order=convert.listing_order_name(request.order),
                limit=request.limit or DEFAULT_PAGE_SIZE,
                after=convert.listing_position(request.cursor),
                include_total=request.include_total,
                featured_only=request.featured_only,
                currency=request.currency,
            )
            page = await handlers.search_events(command, self._listings, clock=self._clock)
            return pb.SearchEventsResponse(
                events=[convert.listing_message(event) for event in page.events],
                next_cursor=convert.listing_cursor(page.following),
                total=page.total,
            )


def _batch_item(index: int, item: pb.BatchEventInput) -> commands.BatchItem:
    try:
        return commands.BatchItem(event=convert.event_input(item.event), publish=item.publish)
    except InvalidInput as invalid:
        raise InvalidInput([problem.under(f"events.{index}") for problem in invalid.problems]) from None


def _encode_batch(outcome: BatchOutcome) -> bytes:
    return _encode(
        pb.BatchCreateEventsResponse(
            committed=outcome.committed,
            results=[
                pb.BatchItemResult(
                    index=item.index,
                    status=_BATCH_STATUS[item.status],
                    event=convert.event_message(item.event) if item.event is not None else None,
                    errors=convert.violations(item.problems),
                )
                for item in outcome.items
            ],
        )
    )


def _encode_added(event: Event, session: Session) -> bytes:
    return _encode(
        pb.AddSessionResponse(session=convert.session_message(event, session), event_version=event.version)
    )
