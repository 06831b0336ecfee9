"""Translation between taquilla.identity.v1 messages and identity's commands and results."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence

from identity_svc.application.handlers import ClientGrant, Contact, Grant, MemberContact, NewApiClient
from identity_svc.application.ports import AuditRecord, PublicKey
from identity_svc.domain.commands import Actor, ActorKind
from identity_svc.domain.errors import FieldProblem, InvalidInput
from identity_svc.domain.model import Organization, Role, User
from taquilla.identity.v1 import identity_service_pb2 as pb
from taquilla_runtime.principal import Principal
from taquilla_runtime.timestamps import to_optional_timestamp

_ROLE_TO_PB = {
    Role.ADMIN: pb.ROLE_ADMIN,
    Role.ORGANIZER: pb.ROLE_ORGANIZER,
    Role.CUSTOMER: pb.ROLE_CUSTOMER,
    Role.STAFF: pb.ROLE_STAFF,
}
_PB_TO_ROLE: dict[int, Role] = {int(value): key for key, value in _ROLE_TO_PB.items()}


# ---------------------------------------------------------------- from protobuf


def actor_from(principal: Principal | None) -> Actor | None:
    """The domain's view of the caller the edge verified."""
    if principal is None:
        return None
    return Actor(
        subject=principal.subject,
        kind=ActorKind(principal.kind.value),
        role=Role(principal.role.value) if principal.role else None,
        organization_id=principal.organization_id,
        scopes=principal.scopes,
    )


def uuid_of(value: str, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidInput([FieldProblem(field, "must be a UUID", "invalid_uuid")]) from None


def optional_uuid_of(value: str, field: str) -> uuid.UUID | None:
    """An empty string means "none"."""
    return uuid_of(value, field) if value else None


def role_of(value: int) -> Role:
    try:
        return _PB_TO_ROLE[value]
    except KeyError:
        raise InvalidInput([FieldProblem("role", "unknown role", "invalid_choice")]) from None


# ---------------------------------------------------------------- to protobuf


def user_message(user: User) -> pb.User:
    return pb.User(
        id=str(user.id),
        email=user.email,
        full_name=user.full_name,
        role=_ROLE_TO_PB[user.role],
        organization_id=str(user.organization_id or ""),
        active=user.active,
        created_at=to_optional_timestamp(user.created_at),
        last_login_at=to_optional_timestamp(user.last_login_at),
    )


def organization_message(organization: Organization) -> pb.Organization:
    return pb.Organization(
        id=str(organization.id),
        name=organization.name,
        created_at=to_optional_timestamp(organization.created_at),
    )


def grant_message(grant: Grant) -> pb.TokenGrant:
    return pb.TokenGrant(
        access_token=grant.access_token,
        token_type="Bearer",  # noqa: S106 (the OAuth token type, not a secret)
        expires_in=grant.expires_in,
        refresh_token=grant.refresh_token,
        scope=" ".join(sorted(grant.scope)),
    )


def client_grant_response(grant: ClientGrant) -> pb.IssueClientCredentialsGrantResponse:
    return pb.IssueClientCredentialsGrantResponse(
        grant=grant_message(grant), rate_limit_tier=grant.rate_limit_tier
    )


def jwks_response(keys: Iterable[PublicKey]) -> pb.GetJwksResponse:
    return pb.GetJwksResponse(
        keys=[
            pb.JsonWebKey(kid=key.kid, kty=key.kty, crv=key.crv, x=key.x, alg=key.alg, use=key.use)
            for key in keys
        ]
    )


def new_api_client_response(created: NewApiClient) -> pb.CreateApiClientResponse:
    return pb.CreateApiClientResponse(
        client_id=created.client_id,
        client_secret=created.client_secret,
        scopes=sorted(created.scopes),
        rate_limit_tier=created.rate_limit_tier,
    )


def audit_entry_message(record: AuditRecord) -> pb.AuditEntry:
    return pb.AuditEntry(
        id=record.id,
        occurred_at=to_optional_timestamp(record.occurred_at),
        actor=record.actor,
        action=record.action,
        target=record.target,
        correlation_id=record.correlation_id,
        outcome=record.outcome,
    )


def contact_response(contact: Contact) -> pb.GetUserContactResponse:
    return pb.GetUserContactResponse(
        email=contact.email, full_name=contact.full_name, locale=contact.locale, active=contact.active
    )


def organization_contacts_response(members: Sequence[MemberContact]) -> pb.ListOrganizationContactsResponse:
    return pb.ListOrganizationContactsResponse(
        contacts=[
            pb.OrganizationContact(
                user_id=str(member.user_id),
                email=member.email,
                full_name=member.full_name,
                locale=member.locale,
            )
            for member in members
        ]
    )
