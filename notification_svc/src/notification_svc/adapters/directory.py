"""Who receives what: the event's creator or the buyer a waiting list's offer is for (their accounts
looked up in identity_svc), the operations mailbox, an order's buyer (at the address and in the
language the order names), a ticket transfer's sender or recipient (as the transfer names them), or
an organizer of the organization whose webhook endpoint was disabled (identity_svc names them all,
ListOrganizationContacts, when the endpoint is disabled; each gets a message of their own)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import grpc

from notification_svc.application.ports import Contact, Directory
from notification_svc.application.webhook_ports import Organizations
from notification_svc.domain.errors import DeliveryFailed, DependencyUnavailable, RecipientUnavailable
from notification_svc.domain.model import RecipientRole
from notification_svc.domain.webhooks import NoticeRecipient
from taquilla.identity.v1 import identity_service_pb2 as pb
from taquilla.identity.v1 import identity_service_pb2_grpc
from taquilla_runtime.service_client import ServiceClient

# Answers that mean the service is away for now (down, restarting, overloaded), not that the request
# is wrong: the delivery waits for it instead of using up the notification's attempts.
AWAY = frozenset(
    {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.RESOURCE_EXHAUSTED}
)


class IdentityDirectory(Directory, Organizations):
    def __init__(
        self, identity_address: str, *, operations_email: str, operations_locale: str, deadline: float = 3.0
    ) -> None:
        self._identity = ServiceClient(
            identity_address,
            identity_service_pb2_grpc.IdentityServiceStub,
            caller="notification_svc",
            deadline=deadline,
        )
        self._operations = Contact(operations_email, "Operaciones", operations_locale)

    async def contact(self, role: RecipientRole, payload: dict[str, Any]) -> Contact:
        if role is RecipientRole.OPERATIONS:
            return self._operations
        if role is RecipientRole.BUYER:
            return _buyer(payload)
        if role in (RecipientRole.SENDER, RecipientRole.RECIPIENT):
            return transfer_party(role, payload)
        if role is RecipientRole.CUSTOMER:
            return await self._user(
                str(payload.get("offer", {}).get("customerId") or ""), "the offer's buyer"
            )
        if role is RecipientRole.ENDPOINT_OWNER:
            return await self._endpoint_owner(payload)
        if role is RecipientRole.ACCOUNT_HOLDER:
            account, who = str(payload.get("user", {}).get("id") or ""), "the account"
        else:
            account, who = str(payload.get("event", {}).get("createdBy") or ""), "the event's creator"
        return await self._user(account, who)

    async def _endpoint_owner(self, payload: dict[str, Any]) -> Contact:
        """The organizer the message names (as identity_svc named them when the endpoint was
        disabled), else the account it names or that registered the endpoint, else operations."""
        recipient = payload.get("recipient") or {}
        if "@" in str(recipient.get("email") or ""):
            return Contact(
                str(recipient["email"]),
                str(recipient.get("name") or ""),
                str(recipient.get("locale") or "es"),
            )
        owner = str(recipient.get("id") or (payload.get("endpoint") or {}).get("createdBy") or "")
        return await self._user(owner, "the endpoint's owner") if owner else self._operations

    async def _user(self, account: str, who: str) -> Contact:
        try:
            user_id = uuid.UUID(account)
        except ValueError:
            raise RecipientUnavailable(f"the message names no account for {who}") from None
        try:
            reply: pb.GetUserContactResponse = await self._identity.stub.GetUserContact(
                pb.GetUserContactRequest(user_id=str(user_id)),
                metadata=self._identity.metadata(),  # the lookup joins the consumer's trace
                timeout=self._identity.deadline,
            )
        except grpc.aio.AioRpcError as exc:
            if exc.code() is grpc.StatusCode.NOT_FOUND:
                raise RecipientUnavailable(f"{who} no longer exists") from None
            if exc.code() in AWAY:
                raise DependencyUnavailable("identity_svc", exc.code().name) from None
            raise DeliveryFailed(f"identity_svc {exc.code().name}") from None
        if not reply.active:
            raise RecipientUnavailable(f"{who} is inactive")
        return Contact(reply.email, reply.full_name, reply.locale or "es")

    async def organizers(self, organization_id: uuid.UUID) -> Sequence[NoticeRecipient]:
        try:
            reply: pb.ListOrganizationContactsResponse = await self._identity.stub.ListOrganizationContacts(
                pb.ListOrganizationContactsRequest(organization_id=str(organization_id)),
                metadata=self._identity.metadata(),
                timeout=self._identity.deadline,
            )
        except grpc.aio.AioRpcError as exc:
            if exc.code() in AWAY:
                raise DependencyUnavailable("identity_svc", exc.code().name) from None
            raise DeliveryFailed(f"identity_svc {exc.code().name}") from None
        return [
            NoticeRecipient(uuid.UUID(c.user_id), c.email, c.full_name, c.locale or "es")
            for c in reply.contacts
        ]

    async def close(self) -> None:
        await self._identity.close()


def _buyer(payload: dict[str, Any]) -> Contact:
    buyer = payload.get("order", {}).get("buyer") or {}
    address = str(buyer.get("email") or "")
    if "@" not in address:
        raise RecipientUnavailable("the order names no buyer's address")
    return Contact(address, str(buyer.get("name") or ""), str(buyer.get("locale") or ""))


def transfer_party(role: RecipientRole, payload: dict[str, Any]) -> Contact:
    """The sender or the recipient of a ticket transfer, as the transfer's message names them."""
    party = (payload.get("transfer") or {}).get(role.value) or {}
    address = str(party.get("email") or "")
    if "@" not in address:
        raise RecipientUnavailable(f"the transfer names no {role.value}'s address")
    return Contact(address, str(party.get("name") or ""), str(party.get("locale") or ""))
