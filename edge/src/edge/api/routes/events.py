"""The event catalog over REST: events, their sessions, and bulk creation for partners.

Routes translate JSON to taquilla.events.v1 calls and back; event_svc decides everything else.
Conventions shared by these routes (also in the OpenAPI descriptions):

* **Optimistic locking.** Every event response carries ``ETag: "<version>"``. ``PATCH`` needs
  ``If-Match`` with that ETag (428 without it, 412 when the event changed since); publish, cancel,
  delete and session changes accept it too.
* **Idempotency.** Creating ``POST``s accept ``Idempotency-Key`` (1-255 visible ASCII characters,
  scoped to the caller): a repeat within 24 hours returns the first response (same status and body);
  the same key with a different body answers 422.
* **Errors** are problem+json; invalid fields are listed in ``errors`` as ``{field, message}`` with
  dotted paths into the request body (``zones.0.price.amount``). event_svc sends those field errors
  in the ``x-taquilla-field-errors`` gRPC trailer, which edge.errors turns into ``errors``.

Bodies and their protobuf translation live in :mod:`edge.api.schemas.events`; ETags and If-Match
in :mod:`edge.api.etags`; a stale If-Match (StaleVersion) is answered 412 by edge.errors.
"""

from __future__ import annotations

import json
import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Request, Response, status
from fastapi.responses import JSONResponse

from edge.api.deps import EventReader, Events, EventWriter, RunningIdempotencyKeys
from edge.api.etags import ETAG_HEADER, IfMatch, etag, expected_version
from edge.api.headers import KEY_IN_USE, LOCATION_HEADER, IdempotencyKey
from edge.api.problems import UNAUTHENTICATED, Responses, problem
from edge.api.routes import listings, organizations
from edge.api.schemas.events import (
    BATCH_EXAMPLES,
    CREATE_EXAMPLES,
    SESSION_EXAMPLES,
    SESSION_UPDATE_EXAMPLES,
    UPDATE_EXAMPLES,
    BatchCreated,
    BatchItemResult,
    BatchRejected,
    EventBatch,
    EventCancel,
    EventCreate,
    EventPublic,
    EventUpdate,
    FeaturedBody,
    SessionCreate,
    SessionList,
    SessionPublic,
    SessionUpdate,
    event_location,
)
from edge.cache.reads import Reads
from edge.errors import PROBLEM_JSON, Problem, problem_response

router = APIRouter(tags=["events"])


def catalog_router() -> APIRouter:
    """The event routes and "my organization's events" together: what the app includes."""
    catalog = APIRouter()
    # First: /api/v1/events/search must not be taken for an event id.
    catalog.include_router(listings.router)
    catalog.include_router(router)
    catalog.include_router(organizations.router)
    return catalog


# ---------------------------------------------------------------- documentation of errors and headers

NOT_FOUND: Responses = {404: problem("No such event, or one you may not see (another organization's draft)")}
FORBIDDEN: Responses = {403: problem("Your role may not do this to your organization's events")}
INVALID: Responses = {
    422: problem("Invalid fields (listed in `errors`), or an Idempotency-Key reused with another body")
}
CONFLICT_STATE: Responses = {409: problem("The event's or session's status does not allow this change")}
PRECONDITIONS: Responses = {
    412: problem("If-Match does not name the event's current version: reload it and retry"),
    428: problem("If-Match is missing: send the ETag of the version you edited"),
}
OVERLAP: Responses = {
    409: problem(
        "The slot at the venue and place is taken: by another of your sessions (named in `detail`), or by "
        "another organization's public session (not named); or " + KEY_IN_USE
    )
}

# ---------------------------------------------------------------- routes


@router.post(
    "/api/v1/events",
    status_code=status.HTTP_201_CREATED,
    response_model=EventPublic,
    summary="Create an event with its zones and sessions",
    description="Creates the event, its zones (ticket categories), its sessions and their inventory in one "
    "transaction, as a draft unless `publish` is true. Organizers create for their own organization; "
    "administrators name it in `organization_id`. Dates must lie in the future; sessions within the event; "
    "a session may not overlap another of your organization's sessions at the same venue and place, "
    "nor, once public, another organization's public session (409; only your own session is named). "
    "Send `Idempotency-Key` to retry safely.",
    responses={
        201: {"description": "Created", "headers": {**LOCATION_HEADER, **ETAG_HEADER}},
        **UNAUTHENTICATED,
        403: problem("Only organizers and administrators create events"),
        **OVERLAP,
        **INVALID,
    },
)
async def create_event(
    response: Response,
    principal: EventWriter,
    events: Events,
    running: RunningIdempotencyKeys,
    body: Annotated[EventCreate, Body(openapi_examples=CREATE_EXAMPLES)],
    idempotency_key: IdempotencyKey = None,
) -> EventPublic:
    async with running.running(principal, "event", idempotency_key):
        event = await events.create_event(
            principal, body.to_pb(), publish=body.publish, idempotency_key=idempotency_key
        )
    response.headers["Location"] = event_location(event.id)
    response.headers["ETag"] = etag(event.version)
    return EventPublic.from_pb(event)


@router.post(
    "/api/v1/events:batch",
    status_code=status.HTTP_201_CREATED,
    response_model=BatchCreated,
    summary="Create up to 100 events at once (all or nothing)",
    description="For partners. Every event is validated on its own, like `POST /api/v1/events`.\n\n"
    "**All or nothing:** if every event is valid and no session clashes, all are created in one transaction "
    "(201, one result per event with its `location`). Otherwise **none** is created: 422 when some events "
    "are invalid, 409 when a session overlaps another one (also between events of the batch). The "
    "problem+json body then lists every field error as `events.<index>.<field>` in `errors`, and `results` "
    "says, event by event, `invalid`, `conflict` or `not_created` (valid, but not created because of the "
    "others). Fix those and send the whole batch again. `Idempotency-Key` applies to the whole batch and "
    "stores only a created batch.",
    responses={
        201: {"description": "Every event was created"},
        **UNAUTHENTICATED,
        403: problem("Only organizers and administrators create events"),
        409: problem("Nothing was created: a session overlaps another one; or " + KEY_IN_USE, BatchRejected),
        422: {
            "description": "Nothing was created: some events are invalid (`results`, or more than 100); "
            "or the body is not a batch (`errors`)",
            "content": {
                PROBLEM_JSON: {
                    "schema": {
                        "anyOf": [
                            {"$ref": "#/components/schemas/BatchRejected"},
                            {"$ref": "#/components/schemas/ProblemDetails"},
                        ]
                    }
                }
            },
        },
    },
)
async def create_events_in_batch(
    request: Request,
    principal: EventWriter,
    events: Events,
    running: RunningIdempotencyKeys,
    body: Annotated[EventBatch, Body(openapi_examples=BATCH_EXAMPLES)],
    idempotency_key: IdempotencyKey = None,
) -> BatchCreated | JSONResponse:
    async with running.running(principal, "events:batch", idempotency_key):
        reply = await events.batch_create_events(principal, body.to_pb(), idempotency_key=idempotency_key)
    results = [BatchItemResult.from_pb(result) for result in reply.results]
    if reply.committed:
        return BatchCreated(results=results)
    invalid = [r for r in results if r.status == "invalid"]
    conflicts = [r for r in results if r.status == "conflict"]
    detail = (
        f"No event was created: {len(invalid)} of {len(results)} events are invalid."
        if invalid
        else f"No event was created: event {conflicts[0].index} clashes with another session."
    )
    rejected = Problem(
        422 if invalid else 409,
        detail,
        slug="batch-rejected",
        errors=[
            {"field": f"events.{r.index}.{e.field}".rstrip("."), "code": e.code, "message": e.message}
            for r in results
            for e in r.errors
        ],
    )
    document = json.loads(bytes(problem_response(request, rejected).body))
    document["results"] = [r.model_dump(mode="json") for r in results]
    return JSONResponse(document, status_code=rejected.status, media_type=PROBLEM_JSON)


@router.get(
    "/api/v1/events/{event_id}",
    response_model=EventPublic,
    summary="Get an event",
    description="Anyone may read published, cancelled and completed events; drafts only their organization "
    "and administrators (404 for everybody else). Sends `ETag`; `If-None-Match` with it answers 304. "
    "What everybody sees alike (callers outside the event's organization) is cached; a change to the "
    "event is visible on the very next request.",
    responses={200: {"headers": ETAG_HEADER}, 304: {"description": "Not modified"}, **NOT_FOUND},
)
async def get_event(
    event_id: uuid.UUID, principal: EventReader, events: Events, reads: Reads
) -> EventPublic | Response:
    async def build() -> tuple[bytes, str]:
        event = await events.get_event(principal, str(event_id))
        return EventPublic.from_pb(event).model_dump_json().encode(), etag(event.version)

    # Members of an organization and administrators may see drafts and draft sessions: theirs is
    # a personal view. Everybody else sees the same event, which is cached.
    return await reads.cached(f"event:{event_id}", build, everyone=False, principal=principal)


@router.patch(
    "/api/v1/events/{event_id}",
    response_model=EventPublic,
    summary="Change some fields of an event",
    description="A JSON merge patch (`application/json` or `application/merge-patch+json`): omitted fields "
    "stay, `image_url: null` removes the image. **Requires `If-Match`** with the event's ETag: 428 without "
    "it, 412 when the event changed since. Zones can be replaced only while the event is a draft (zones "
    "that keep their name keep their id). Moving the event must keep its sessions inside it.",
    responses={
        200: {"headers": ETAG_HEADER},
        **UNAUTHENTICATED,
        **FORBIDDEN,
        **NOT_FOUND,
        409: problem("The event can no longer be changed, or its new venue is busy at a session's time"),
        **PRECONDITIONS,
        **INVALID,
    },
)
async def update_event(
    event_id: uuid.UUID,
    response: Response,
    principal: EventWriter,
    events: Events,
    body: Annotated[EventUpdate, Body(openapi_examples=UPDATE_EXAMPLES)],
    if_match: IfMatch = None,
) -> EventPublic:
    version = expected_version(if_match, required=True)
    assert version is not None
    event = await events.update_event(principal, str(event_id), version, body.to_pb())
    response.headers["ETag"] = etag(event.version)
    return EventPublic.from_pb(event)


@router.put(
    "/api/v1/events/{event_id}/featured",
    response_model=EventPublic,
    summary="Feature an event on the front page, or stop featuring it (administrators)",
    description="Administrators choose the featured events (`GET /api/v1/events?featured=true`); only a "
    "published event can be featured (409 otherwise). Setting the value it already has changes nothing. "
    "Other roles get 403.",
    responses={
        200: {"headers": ETAG_HEADER},
        **UNAUTHENTICATED,
        403: problem("Only administrators choose the featured events"),
        **NOT_FOUND,
        **CONFLICT_STATE,
        **INVALID,
    },
)
async def feature_event(
    event_id: uuid.UUID, body: FeaturedBody, response: Response, principal: EventWriter, events: Events
) -> EventPublic:
    event = await events.feature_event(principal, str(event_id), body.featured)
    response.headers["ETag"] = etag(event.version)
    return EventPublic.from_pb(event)


@router.post(
    "/api/v1/events/{event_id}/publish",
    response_model=EventPublic,
    summary="Publish a draft",
    description="The event becomes visible to everyone and its draft sessions go on sale, taking their "
    "slots at the venue: publishing is refused (409) when another organization's public session holds one "
    "of them. `If-Match` is optional: when sent, the event must still be at that version (412 otherwise).",
    responses={
        200: {"headers": ETAG_HEADER},
        **UNAUTHENTICATED,
        **FORBIDDEN,
        **NOT_FOUND,
        409: problem(
            "The event's status does not allow publishing, or a session's slot at the venue is taken"
        ),
        412: PRECONDITIONS[412],
    },
)
async def publish_event(
    event_id: uuid.UUID,
    response: Response,
    principal: EventWriter,
    events: Events,
    if_match: IfMatch = None,
) -> EventPublic:
    event = await events.publish_event(principal, str(event_id), expected_version(if_match, required=False))
    response.headers["ETag"] = etag(event.version)
    return EventPublic.from_pb(event)


@router.post(
    "/api/v1/events/{event_id}/cancel",
    response_model=EventPublic,
    summary="Cancel a published event",
    description="Cancels the event and every session that has not finished; buyers are told through the "
    "`EventCancelled` message. A draft is deleted instead (409). `If-Match` is optional.",
    responses={
        200: {"headers": ETAG_HEADER},
        **UNAUTHENTICATED,
        **FORBIDDEN,
        **NOT_FOUND,
        **CONFLICT_STATE,
        412: PRECONDITIONS[412],
        **INVALID,
    },
)
async def cancel_event(
    event_id: uuid.UUID,
    response: Response,
    principal: EventWriter,
    events: Events,
    body: EventCancel | None = None,
    if_match: IfMatch = None,
) -> EventPublic:
    reason = body.reason if body else ""
    event = await events.cancel_event(
        principal, str(event_id), expected_version(if_match, required=False), reason
    )
    response.headers["ETag"] = etag(event.version)
    return EventPublic.from_pb(event)


@router.delete(
    "/api/v1/events/{event_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete an event (soft)",
    description="Deletes a draft, cancelled or completed event: it is no longer found and its sessions free "
    "their time slots. A published event must be cancelled first (409). `If-Match` is optional.",
    responses={**UNAUTHENTICATED, **FORBIDDEN, **NOT_FOUND, **CONFLICT_STATE, 412: PRECONDITIONS[412]},
)
async def delete_event(
    event_id: uuid.UUID, principal: EventWriter, events: Events, if_match: IfMatch = None
) -> Response:
    await events.delete_event(principal, str(event_id), expected_version(if_match, required=False))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/api/v1/events/{event_id}/sessions",
    response_model=SessionList,
    summary="List an event's sessions",
    description="The sessions you may see, by start date (draft sessions only for the organization). "
    "`ETag` is the event's version: session changes send it in `If-Match`.",
    responses={200: {"headers": ETAG_HEADER}, **NOT_FOUND},
)
async def list_sessions(
    event_id: uuid.UUID, response: Response, principal: EventReader, events: Events
) -> SessionList:
    reply = await events.list_sessions(principal, str(event_id))
    response.headers["ETag"] = etag(reply.event_version)
    return SessionList(
        items=[SessionPublic.from_pb(s) for s in reply.sessions], event_version=reply.event_version
    )


@router.post(
    "/api/v1/events/{event_id}/sessions",
    status_code=status.HTTP_201_CREATED,
    response_model=SessionPublic,
    summary="Add a session (a date) to an event",
    description="Adds a session within the event's dates, with its inventory for every zone. It starts as "
    "`draft` in a draft event and `on_sale` in a published one unless `status` says otherwise. "
    "`If-Match` (the event's ETag) is optional; `Idempotency-Key` makes retries safe.",
    responses={
        201: {"description": "Created", "headers": {**LOCATION_HEADER, **ETAG_HEADER}},
        **UNAUTHENTICATED,
        **FORBIDDEN,
        **NOT_FOUND,
        409: problem(
            "The event can no longer change, or the slot is taken (your own session is named in `detail`, "
            "another organization's is not); or " + KEY_IN_USE
        ),
        412: PRECONDITIONS[412],
        **INVALID,
    },
)
async def add_session(
    event_id: uuid.UUID,
    response: Response,
    principal: EventWriter,
    events: Events,
    running: RunningIdempotencyKeys,
    body: Annotated[SessionCreate, Body(openapi_examples=SESSION_EXAMPLES)],
    if_match: IfMatch = None,
    idempotency_key: IdempotencyKey = None,
) -> SessionPublic:
    async with running.running(principal, f"session {event_id}", idempotency_key):
        reply = await events.add_session(
            principal,
            str(event_id),
            body.to_pb(),
            expected_version=expected_version(if_match, required=False),
            idempotency_key=idempotency_key,
        )
    response.headers["Location"] = f"{event_location(str(event_id))}/sessions/{reply.session.id}"
    response.headers["ETag"] = etag(reply.event_version)
    return SessionPublic.from_pb(reply.session)


@router.get(
    "/api/v1/events/{event_id}/sessions/{session_id}",
    response_model=SessionPublic,
    summary="Get one session",
    description="One session of the event, if you may see it (draft sessions only for the organization). "
    "`ETag` is the event's version.",
    responses={200: {"headers": ETAG_HEADER}, **NOT_FOUND},
)
async def get_session(
    event_id: uuid.UUID,
    session_id: uuid.UUID,
    response: Response,
    principal: EventReader,
    events: Events,
) -> SessionPublic:
    reply = await events.get_session(principal, str(event_id), str(session_id))
    response.headers["ETag"] = etag(reply.event_version)
    return SessionPublic.from_pb(reply.session)


@router.patch(
    "/api/v1/events/{event_id}/sessions/{session_id}",
    response_model=SessionPublic,
    summary="Change a session",
    description="A JSON merge patch of the session (`capacity_override: null` removes the cap), or a "
    "status change following the session lifecycle. **Requires `If-Match`** with the event's ETag "
    "(sessions are versioned with their event): 428 without it, 412 when the event changed since.",
    responses={
        200: {"headers": ETAG_HEADER},
        **UNAUTHENTICATED,
        **FORBIDDEN,
        **NOT_FOUND,
        409: problem("The status change is not allowed, or the new time overlaps another session"),
        **PRECONDITIONS,
        **INVALID,
    },
)
async def update_session(
    event_id: uuid.UUID,
    session_id: uuid.UUID,
    response: Response,
    principal: EventWriter,
    events: Events,
    body: Annotated[SessionUpdate, Body(openapi_examples=SESSION_UPDATE_EXAMPLES)],
    if_match: IfMatch = None,
) -> SessionPublic:
    version = expected_version(if_match, required=True)
    assert version is not None
    reply = await events.update_session(principal, str(event_id), str(session_id), version, body.to_pb())
    response.headers["ETag"] = etag(reply.event_version)
    return SessionPublic.from_pb(reply.session)


@router.delete(
    "/api/v1/events/{event_id}/sessions/{session_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove a session (soft)",
    description="Removes a session that is not on sale (suspend or cancel it first); an event keeps at least "
    "one session (409). `If-Match` (the event's ETag) is optional.",
    responses={
        204: {"headers": ETAG_HEADER},
        **UNAUTHENTICATED,
        **FORBIDDEN,
        **NOT_FOUND,
        **CONFLICT_STATE,
        412: PRECONDITIONS[412],
    },
)
async def remove_session(
    event_id: uuid.UUID,
    session_id: uuid.UUID,
    principal: EventWriter,
    events: Events,
    if_match: IfMatch = None,
) -> Response:
    version = await events.remove_session(
        principal, str(event_id), str(session_id), expected_version(if_match, required=False)
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT, headers={"ETag": etag(version)})
