"""Who receives what: the event's creator (looked up in identity_svc) or the operations mailbox."""

from __future__ import annotations

import uuid
from typing import Any

import grpc
from opentelemetry import propagate

from notification_svc.application.ports import Contact, Directory
from notification_svc.domain.errors import DeliveryFailed, RecipientUnavailable
from notification_svc.domain.model import RecipientRole
from taquilla.identity.v1 import identity_service_pb2 as pb
from taquilla.identity.v1 import identity_service_pb2_grpc
from taquilla_runtime.principal import Principal


class IdentityDirectory(Directory):
    """Opens its gRPC channel on first use, inside the running event loop (grpc.aio binds to it)."""

    def __init__(
        self, identity_address: str, *, operations_email: str, operations_locale: str, deadline: float = 3.0
    ) -> None:
        self._address = identity_address
        self._channel: grpc.aio.Channel | None = None
        self._stub: identity_service_pb2_grpc.IdentityServiceStub | None = None
        self._operations = Contact(operations_email, "Operaciones", operations_locale)
        self._metadata = (Principal.for_service("notification_svc").to_metadata(),)
        self._deadline = deadline

    def _identity(self) -> identity_service_pb2_grpc.IdentityServiceStub:
        if self._stub is None:
            self._channel = grpc.aio.insecure_channel(self._address)
            self._stub = identity_service_pb2_grpc.IdentityServiceStub(self._channel)
        return self._stub

    async def contact(self, role: RecipientRole, payload: dict[str, Any]) -> Contact:
        if role is RecipientRole.OPERATIONS:
            return self._operations
        creator = str(payload.get("event", {}).get("createdBy") or "")
        try:
            user_id = uuid.UUID(creator)
        except ValueError:
            raise RecipientUnavailable("the event names no creator") from None
        carrier: dict[str, str] = {}
        propagate.inject(carrier)  # the lookup joins the consumer's trace
        try:
            reply: pb.GetUserContactResponse = await self._identity().GetUserContact(
                pb.GetUserContactRequest(user_id=str(user_id)),
                metadata=(*self._metadata, *carrier.items()),
                timeout=self._deadline,
            )
        except grpc.aio.AioRpcError as exc:
            if exc.code() is grpc.StatusCode.NOT_FOUND:
                raise RecipientUnavailable("the event's creator no longer exists") from None
            raise DeliveryFailed(f"identity_svc {exc.code().name}") from None
        if not reply.active:
            raise RecipientUnavailable("the event's creator is inactive")
        return Contact(reply.email, reply.full_name, reply.locale or "es")

    async def close(self) -> None:
        if self._channel is not None:
            await self._channel.close()
            self._channel = None
            self._stub = None
