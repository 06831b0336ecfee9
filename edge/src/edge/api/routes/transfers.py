"""Ticket transfers over REST: routes translate, ticketing_svc decides.

* ``POST /api/v1/tickets/{id}/transfer`` sends one of my valid tickets to an e-mail address (202: a
  pending transfer; the address gets a link with a secret token). Refusals are problem+json (409):
  ``…/ticket-used`` (checked in), ``…/ticket-revoked``, ``…/transfers-disabled`` (the organizer
  turned them off), ``…/transfer-pending`` (one is on its way: cancel it first, ``transfer_id``).
* ``POST /api/v1/transfers/{id}/accept`` takes it, signed in with an account of that address and the
  link's token: the old ticket is revoked and a new one (new id, new QR) issued to the caller, once.
* The parties' names, addresses and languages are their accounts' (read from identity_svc here),
  never a request body's.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Header, Path, Query, Response, status

from edge.api.deps import State, TicketReader, TicketWriter
from edge.api.headers import LOCATION_HEADER
from edge.api.problems import UNAUTHENTICATED, Responses, problem
from edge.api.routes.orders import preferred_locale
from edge.api.schemas.transfers import (
    TOKEN_PATTERN,
    TRANSFER_EXAMPLES,
    TransferAccept,
    TransferCreate,
    TransferPublic,
)
from taquilla.ticketing.v1 import ticketing_service_pb2 as pb
from taquilla_runtime.principal import Principal

router = APIRouter(tags=["tickets"])

TicketId = Annotated[str, Path(max_length=64, description="Ticket id (UUID)")]
TransferId = Annotated[str, Path(max_length=64, description="Transfer id (UUID)")]
AcceptLanguage = Annotated[
    str | None,
    Header(alias="Accept-Language", max_length=512, description="The language of your transfer e-mails"),
]
TRANSFER_NOT_FOUND: Responses = {404: problem("No such transfer, or one you may not see (or a wrong token)")}
CLOSED = "`…/transfer-closed`: it was taken, cancelled or expired (`status`)"
TICKET_REFUSALS = (
    "`…/ticket-used` (checked in at the door), `…/ticket-revoked`, `…/transfers-disabled` (the "
    "organizer does not allow them), `…/transfer-pending` (one is on its way: `transfer_id`)"
)


def transfer_location(transfer_id: str) -> str:
    return f"/api/v1/transfers/{transfer_id}"


async def _party(state: State, principal: Principal, accept_language: str | None) -> pb.TransferParty:
    user = await state.identity.current_user(principal)
    return pb.TransferParty(name=user.full_name, email=user.email, locale=preferred_locale(accept_language))


@router.post(
    "/api/v1/tickets/{ticket_id}/transfer",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=TransferPublic,
    summary="Send one of my tickets to someone",
    description="Sends the ticket to an e-mail address: the address gets a link, and whoever signs in "
    "with an account of that address takes the ticket (a new one, with a new QR code; yours is "
    "revoked then). Until then it stays yours and valid; cancel with `DELETE /api/v1/transfers/{id}`. "
    "The offer expires after 7 days. Both of you are e-mailed when it is taken.",
    responses={
        202: {"description": "On its way: the recipient was e-mailed", "headers": LOCATION_HEADER},
        **UNAUTHENTICATED,
        404: problem("No such ticket, or not yours"),
        409: problem(TICKET_REFUSALS),
        422: problem("Invalid `email` (or your own address)"),
    },
)
async def offer_transfer(
    ticket_id: TicketId,
    response: Response,
    principal: TicketWriter,
    state: State,
    body: Annotated[TransferCreate, Body(openapi_examples=TRANSFER_EXAMPLES)],
    accept_language: AcceptLanguage = None,
) -> TransferPublic:
    sender = await _party(state, principal, accept_language)
    transfer = await state.ticketing.offer_ticket_transfer(principal, ticket_id, body.email, sender)
    response.headers["Location"] = transfer_location(transfer.id)
    return TransferPublic.from_pb(transfer)


@router.get(
    "/api/v1/transfers/{transfer_id}",
    response_model=TransferPublic,
    summary="One ticket transfer",
    description="For its sender; or for its recipient, signed in with an account of the address it was "
    "sent to, with the `token` of the e-mail's link.",
    responses={
        **UNAUTHENTICATED,
        403: problem("`…/not-the-recipient`: signed in with an account of another address"),
        **TRANSFER_NOT_FOUND,
    },
)
async def get_transfer(
    transfer_id: TransferId,
    principal: TicketReader,
    state: State,
    token: Annotated[
        str, Query(max_length=128, pattern=r"^$|" + TOKEN_PATTERN, description="The link's token")
    ] = "",
) -> TransferPublic:
    account_email = (await state.identity.current_user(principal)).email if token else ""
    transfer = await state.ticketing.get_ticket_transfer(
        principal, transfer_id, token=token, account_email=account_email
    )
    return TransferPublic.from_pb(transfer)


@router.post(
    "/api/v1/transfers/{transfer_id}/accept",
    response_model=TransferPublic,
    summary="Take a ticket sent to me",
    description="Signed in with an account of the address it was sent to, with the `token` of the "
    "e-mail's link: the sender's ticket is revoked and a new one, in your name, is yours "
    "(`new_ticket_id`, in `GET /api/v1/me/tickets`). Taking it again answers the same.",
    responses={
        **UNAUTHENTICATED,
        403: problem("`…/not-the-recipient`: signed in with an account of another address"),
        **TRANSFER_NOT_FOUND,
        409: problem(CLOSED + "; or the ticket's state: " + TICKET_REFUSALS),
        422: problem("Invalid `token`"),
    },
)
async def accept_transfer(
    transfer_id: TransferId,
    principal: TicketWriter,
    state: State,
    body: TransferAccept,
    accept_language: AcceptLanguage = None,
) -> TransferPublic:
    recipient = await _party(state, principal, accept_language)
    transfer = await state.ticketing.accept_ticket_transfer(principal, transfer_id, body.token, recipient)
    return TransferPublic.from_pb(transfer)


@router.delete(
    "/api/v1/transfers/{transfer_id}",
    response_model=TransferPublic,
    summary="Cancel a ticket transfer I sent",
    description="While it is pending: the link stops working and the ticket stays yours.",
    responses={**UNAUTHENTICATED, **TRANSFER_NOT_FOUND, 409: problem(CLOSED)},
)
async def cancel_transfer(transfer_id: TransferId, principal: TicketWriter, state: State) -> TransferPublic:
    return TransferPublic.from_pb(await state.ticketing.cancel_ticket_transfer(principal, transfer_id))
