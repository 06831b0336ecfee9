"""Check-in at the door, over REST (the door app's contract: docs/architecture.md, 5.4): routes translate,
ticketing_svc decides.

* ``POST /api/v1/checkins`` answers one scan at once; a refused ticket is an answer (``result``),
  not an error. A retry with the same ``device_id`` and ``nonce`` gets the first answer.
* ``POST /api/v1/checkins:batch`` uploads the scans a device made offline.
* ``GET /api/v1/sessions/{session_id}/checkin-pack`` is what a device needs to check tickets
  offline; with ``cursor``, only what changed since.
* ``GET /api/v1/events/{event_id}/checkin-conflicts`` lists tickets admitted twice while offline.

Door staff and organizers of the organization that owns the event, and admins; anyone else gets
404, exactly as for a session or event that does not exist.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path, Query, Response

from edge.api.deps import DoorScanner, Ticketing, TicketReader
from edge.api.problems import UNAUTHENTICATED, Responses, problem
from edge.api.schemas.checkins import (
    CheckInBatchCreate,
    CheckInBatchPublic,
    CheckInConflictsPublic,
    CheckInCreate,
    CheckInPackPublic,
    CheckInPublic,
)

router = APIRouter(tags=["check-in"])

SessionId = Annotated[str, Path(max_length=64, description="Session id (UUID)")]
EventId = Annotated[str, Path(max_length=64, description="Event id (UUID)")]
SESSION_NOT_FOUND: Responses = {404: problem("No such session, or one whose door you do not keep")}
NO_STORE = "no-store"

CHECK_IN_EXAMPLES = {
    "entry": {
        "summary": "An entry scanned now",
        "value": {
            "secret": "AECXI3JSGAYTEMRQGI2C2MBRFUYDCVBREA",
            "session_id": "2b6f0cf0-3b5e-4c8e-9d0a-6a1e5b7c9d21",
            "device_id": "door-north-1",
            "nonce": "0007-1a2b",
            "type": "entry",
        },
    }
}


@router.post(
    "/api/v1/checkins",
    response_model=CheckInPublic,
    summary="Check a ticket in (or out) at the door",
    description="One scan of a ticket's QR code, answered at once: `result` says whether to let the "
    "holder in. Of simultaneous scans of one ticket, one is admitted. An `exit` lets a ticket inside "
    "out; it may come back in only if the event allows re-entry. A retry with the same `device_id` and "
    "`nonce` gets the first answer and records nothing. For door staff and organizers of the event's "
    "organization, and admins.",
    responses={
        **UNAUTHENTICATED,
        403: problem("An API client, not a person"),
        **SESSION_NOT_FOUND,
        422: problem("Invalid fields (listed in `errors`), e.g. a `scanned_at` in the future"),
    },
)
async def check_in(
    response: Response,
    principal: DoorScanner,
    ticketing: Ticketing,
    body: Annotated[CheckInCreate, Body(openapi_examples=CHECK_IN_EXAMPLES)],
) -> CheckInPublic:
    response.headers["Cache-Control"] = NO_STORE
    return CheckInPublic.from_pb(await ticketing.check_in(principal, body.to_pb()))


@router.post(
    "/api/v1/checkins:batch",
    response_model=CheckInBatchPublic,
    summary="Upload scans made offline",
    description="Up to 500 scans one device made while offline, each with its `nonce` and `scanned_at`. "
    "They are applied in the order they were made (the first scan wins) and answered one by one, in "
    "the order sent. An entry of a ticket already inside gets `already_redeemed` with `conflict: "
    "true`: the ticket was admitted twice while offline; it is recorded, counted and listed by "
    "`/api/v1/events/{event_id}/checkin-conflicts`. Uploading the same scans again changes nothing.",
    responses={
        **UNAUTHENTICATED,
        403: problem("An API client, not a person"),
        **SESSION_NOT_FOUND,
        422: problem("Invalid fields (listed in `errors`): no scans or more than 500, a nonce twice"),
    },
)
async def check_in_batch(
    response: Response, principal: DoorScanner, ticketing: Ticketing, body: CheckInBatchCreate
) -> CheckInBatchPublic:
    response.headers["Cache-Control"] = NO_STORE
    return CheckInBatchPublic.from_pb(await ticketing.check_in_batch(principal, body.to_pb()))


@router.get(
    "/api/v1/sessions/{session_id}/checkin-pack",
    response_model=CheckInPackPublic,
    summary="What a door needs to check tickets offline",
    description="The keys that verify tickets' QR codes, the session's tickets (holder, zone, status) "
    "and which are revoked. Keep `cursor` and pass it next time: only the tickets changed since come "
    "back (a refunded ticket appears in `revoked`). When `complete` is false, call again with the new "
    "`cursor` at once.",
    responses={
        **UNAUTHENTICATED,
        403: problem("An API client, not a person"),
        **SESSION_NOT_FOUND,
        422: problem("A `cursor` no pack handed out"),
    },
)
async def checkin_pack(
    session_id: SessionId,
    response: Response,
    principal: DoorScanner,
    ticketing: Ticketing,
    cursor: Annotated[str, Query(max_length=200, description="`cursor` of the previous pack")] = "",
) -> CheckInPackPublic:
    response.headers["Cache-Control"] = NO_STORE
    return CheckInPackPublic.from_pb(await ticketing.checkin_pack(principal, session_id, cursor))


@router.get(
    "/api/v1/events/{event_id}/checkin-conflicts",
    response_model=CheckInConflictsPublic,
    summary="Tickets admitted twice while doors were offline",
    description="For door staff and organizers of the event's organization, and admins: every ticket "
    "an offline door admitted while it was already inside, with all its scans.",
    responses={
        **UNAUTHENTICATED,
        403: problem("An API client, not a person"),
        404: problem("No such event, or another organization's"),
    },
)
async def checkin_conflicts(
    event_id: EventId, principal: TicketReader, ticketing: Ticketing
) -> CheckInConflictsPublic:
    return CheckInConflictsPublic.from_pb(await ticketing.checkin_conflicts(principal, event_id))
