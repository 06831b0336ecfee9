"""Waiting lists of sold-out zones, over REST: routes translate, ticketing_svc decides.

* A buyer joins the list of a sold-out zone of a session for a number of places; while places are
  left the answer is 409 ``…/zone-not-sold-out`` (with ``available``): reserve them instead.
* Places freed in the zone (an expired hold, a release, a refund) are offered in order: a
  reservation held for the buyer for the event's hold time, announced by e-mail, checked out like
  any reservation (``POST /api/v1/orders``). An offer left unclaimed passes to the next entry.
* The head of the list blocks it: a group of four is served when four places are free, and the
  entries behind it wait (docs/waitlist.md says why nobody starves).
* Someone else's entry is 404, exactly like one that does not exist.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path, Response, status

from edge.api.deps import Ticketing, TicketReader, TicketWriter
from edge.api.problems import UNAUTHENTICATED, problem
from edge.api.schemas.waitlist import (
    WAITLIST_EXAMPLES,
    WaitlistEntryList,
    WaitlistEntryPublic,
    WaitlistJoin,
    WaitlistLengthsPublic,
)

router = APIRouter(tags=["waiting lists"])

EntryId = Annotated[str, Path(max_length=64, description="Waiting-list entry id (UUID)")]
EventId = Annotated[str, Path(max_length=64, description="Event id (UUID)")]


@router.post(
    "/api/v1/waitlist",
    status_code=status.HTTP_201_CREATED,
    response_model=WaitlistEntryPublic,
    summary="Join the waiting list of a sold-out zone",
    description="Puts you in line for `quantity` places of a sold-out zone of a session. Places freed in "
    "the zone are offered in order: a reservation is held for you for the event's hold time and you get an "
    "e-mail with a link to buy it; an offer left unclaimed passes to the next in line. Joining again while "
    "your entry is active returns it as it is.",
    responses={
        **UNAUTHENTICATED,
        403: problem("A partner API client (only people's accounts join waiting lists)"),
        404: problem("No such session, or one that is not published"),
        409: problem(
            "`…/zone-not-sold-out`: the zone has the places asked for (`available`): reserve them instead; "
            "`…/not-on-sale`: the session does not sell"
        ),
        422: problem("Invalid fields (listed in `errors`), e.g. more places than the zone allows per order"),
    },
)
async def join_waitlist(
    principal: TicketWriter,
    ticketing: Ticketing,
    body: Annotated[WaitlistJoin, Body(openapi_examples=WAITLIST_EXAMPLES)],
) -> WaitlistEntryPublic:
    entry = await ticketing.join_waitlist(principal, body.session_id, body.zone_id, body.quantity)
    return WaitlistEntryPublic.from_pb(entry)


@router.get(
    "/api/v1/me/waitlist",
    response_model=WaitlistEntryList,
    summary="My waiting-list entries, newest first",
    responses={**UNAUTHENTICATED},
)
async def my_waitlist(principal: TicketReader, ticketing: Ticketing) -> WaitlistEntryList:
    reply = await ticketing.list_my_waitlist(principal)
    return WaitlistEntryList(items=[WaitlistEntryPublic.from_pb(entry) for entry in reply.entries])


@router.delete(
    "/api/v1/waitlist/{entry_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Leave a waiting list",
    description="Takes your entry off its list. With an offer out, the offer is given up: its reservation is "
    "released and the places go to the next in line. Leaving an entry that already ended changes nothing.",
    responses={**UNAUTHENTICATED, 404: problem("No such entry, or someone else's")},
)
async def leave_waitlist(entry_id: EntryId, principal: TicketWriter, ticketing: Ticketing) -> Response:
    await ticketing.leave_waitlist(principal, entry_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/api/v1/events/{event_id}/waitlist",
    response_model=WaitlistLengthsPublic,
    summary="How long the waiting lists of an event are",
    description="For the event's organizer or an admin: per session and zone, the entries waiting, the "
    "places they ask for, and the offers out.",
    responses={
        **UNAUTHENTICATED,
        403: problem("Not the event's organizer nor an admin"),
        404: problem("No such event"),
    },
)
async def event_waitlist(
    event_id: EventId, principal: TicketReader, ticketing: Ticketing
) -> WaitlistLengthsPublic:
    return WaitlistLengthsPublic.from_pb(await ticketing.waitlist_lengths(principal, event_id))
