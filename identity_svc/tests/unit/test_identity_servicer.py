"""The gRPC servicer over in-memory fakes, on an in-process server: it translates, nothing more."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from functools import partial
from typing import Any

import grpc
import pytest
import pytest_asyncio
from identity_fakes import NOW, FakeClock, FakeKeyRing, FakePasswordHasher, FakeUnitOfWork

from devstack.testing import in_process_service
from identity_svc.application.handlers import TokenSettings
from identity_svc.bootstrap import bind_handlers
from identity_svc.domain.model import Role as DomainRole
from identity_svc.entrypoints.grpc_server import SERVICE_NAME, IdentityServicer
from taquilla.identity.v1 import identity_service_pb2 as pb
from taquilla.identity.v1 import identity_service_pb2_grpc
from taquilla_runtime.grpc_errors import (
    FIELD_ERRORS_KEY,
    NamedProblem,
    field_errors_from_trailers,
    problem_from_trailers,
)
from taquilla_runtime.principal import METADATA_KEY, Principal, PrincipalKind, Role

pytestmark = pytest.mark.asyncio(loop_scope="session")
PASSWORD = "Bruma-Cobalto-Faro-42"


class Served:
    def __init__(self, uow: FakeUnitOfWork, stub: Any) -> None:
        self.uow = uow
        self.stub = stub


@pytest_asyncio.fixture(loop_scope="session")
async def served() -> AsyncIterator[Served]:
    clock = FakeClock()
    uow = FakeUnitOfWork(clock)
    bound = bind_handlers(
        clock=clock,
        hasher=FakePasswordHasher(),
        keys=FakeKeyRing(),
        tokens=TokenSettings(issuer="https://taquilla.test", audience="taquilla-api"),
    )
    servicer = IdentityServicer(lambda: uow, bound)
    async with (
        in_process_service(
            SERVICE_NAME, partial(identity_service_pb2_grpc.add_IdentityServiceServicer_to_server, servicer)
        ) as address,
        grpc.aio.insecure_channel(address) as channel,
    ):
        yield Served(uow, identity_service_pb2_grpc.IdentityServiceStub(channel))


def as_admin() -> tuple[tuple[str, str], ...]:
    return (
        Principal(uuid.uuid4(), PrincipalKind.USER, Role.ADMIN, scopes=frozenset({"admin"})).to_metadata(),
    )


async def refusal(call: Any) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await call
    return raised.value


async def register(served: Served, email: str) -> pb.User:
    request = pb.RegisterCustomerRequest(email=email, password=PASSWORD, full_name="Ana Gómez")
    reply: pb.RegisterCustomerResponse = await served.stub.RegisterCustomer(request)
    return reply.user


async def test_a_registered_user_and_a_grant_come_back_as_messages(served: Served) -> None:
    user = await register(served, "ana@example.com")
    assert (user.email, user.role, user.active, user.organization_id) == (
        "ana@example.com",
        pb.ROLE_CUSTOMER,
        True,
        "",
    )
    assert user.created_at.ToDatetime().replace(tzinfo=NOW.tzinfo) == NOW
    assert not user.HasField("last_login_at")

    reply = await served.stub.IssuePasswordGrant(
        pb.IssuePasswordGrantRequest(email="ana@example.com", password=PASSWORD, scope="events:read")
    )
    grant = reply.grant
    assert (grant.token_type, grant.expires_in, grant.scope) == ("Bearer", 900, "events:read")
    assert grant.refresh_token
    keys = (await served.stub.GetJwks(pb.GetJwksRequest())).keys
    assert [(k.kid, k.kty, k.crv, k.alg, k.use) for k in keys] == [
        ("key-1", "OKP", "Ed25519", "EdDSA", "sig")
    ]


async def test_a_taken_email_answers_ok_without_a_user(served: Served) -> None:
    await register(served, "dora@example.com")
    reply: pb.RegisterCustomerResponse = await served.stub.RegisterCustomer(
        pb.RegisterCustomerRequest(email="DORA@example.com", password=PASSWORD, full_name="Otra Dora")
    )
    assert not reply.HasField("user")


async def test_invalid_fields_travel_in_the_trailer_with_invalid_argument(served: Served) -> None:
    error = await refusal(
        served.stub.RegisterCustomer(pb.RegisterCustomerRequest(email="no", password=PASSWORD, full_name=""))
    )
    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT
    fields = field_errors_from_trailers(error.trailing_metadata())
    assert [item["field"] for item in fields] == ["email", "full_name"]

    error = await refusal(
        served.stub.UpdateUser(pb.UpdateUserRequest(user_id="not-a-uuid"), metadata=as_admin())
    )
    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert field_errors_from_trailers(error.trailing_metadata()) == [
        {"field": "id", "code": "invalid_uuid", "message": "must be a UUID"}
    ]


async def test_domain_errors_become_statuses_with_messages_written_for_callers(served: Served) -> None:
    await register(served, "beto@example.com")
    wrong = await refusal(
        served.stub.IssuePasswordGrant(
            pb.IssuePasswordGrantRequest(email="beto@example.com", password="nope")
        )
    )
    assert (wrong.code(), wrong.details()) == (grpc.StatusCode.UNAUTHENTICATED, "Invalid email or password.")
    anonymous = await refusal(served.stub.RotateSigningKey(pb.RotateSigningKeyRequest()))
    assert (anonymous.code(), anonymous.details()) == (
        grpc.StatusCode.UNAUTHENTICATED,
        "Authentication required.",
    )
    customer = (Principal(uuid.uuid4(), PrincipalKind.USER, Role.CUSTOMER).to_metadata(),)
    denied = await refusal(served.stub.ListUsers(pb.ListUsersRequest(), metadata=customer))
    assert (denied.code(), denied.details()) == (grpc.StatusCode.PERMISSION_DENIED, "You may not do this.")
    missing = await refusal(
        served.stub.GetUserContact(
            pb.GetUserContactRequest(user_id=str(uuid.uuid4())),
            metadata=(Principal.for_service("notification_svc").to_metadata(),),
        )
    )
    assert (missing.code(), missing.details()) == (grpc.StatusCode.NOT_FOUND, "Not found.")
    assert FIELD_ERRORS_KEY not in dict(missing.trailing_metadata() or ())


async def test_an_organizations_contacts_come_back_as_messages_for_services_only(served: Served) -> None:
    user = await register(served, "olga@example.com")
    organization_id = uuid.uuid4()
    stored = served.uow.committed.users[uuid.UUID(user.id)]
    stored.role, stored.organization_id = DomainRole.ORGANIZER, organization_id
    request = pb.ListOrganizationContactsRequest(organization_id=str(organization_id))
    service = (Principal.for_service("notification_svc").to_metadata(),)
    reply: pb.ListOrganizationContactsResponse = await served.stub.ListOrganizationContacts(
        request, metadata=service
    )
    assert [(c.user_id, c.email, c.full_name, c.locale) for c in reply.contacts] == [
        (user.id, "olga@example.com", "Ana Gómez", "es")
    ]
    organizer = (Principal(uuid.UUID(user.id), PrincipalKind.USER, Role.ORGANIZER).to_metadata(),)
    denied = await refusal(served.stub.ListOrganizationContacts(request, metadata=organizer))
    assert denied.code() == grpc.StatusCode.PERMISSION_DENIED
    malformed = await refusal(
        served.stub.ListOrganizationContacts(
            pb.ListOrganizationContactsRequest(organization_id="nope"), metadata=service
        )
    )
    assert malformed.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_an_admin_changing_their_own_account_is_a_named_failed_precondition(served: Served) -> None:
    user = await register(served, "dora@example.com")
    served.uow.committed.users[uuid.UUID(user.id)].role = DomainRole.ADMIN
    herself = (
        Principal(
            uuid.UUID(user.id), PrincipalKind.USER, Role.ADMIN, scopes=frozenset({"admin"})
        ).to_metadata(),
    )
    error = await refusal(
        served.stub.UpdateUser(pb.UpdateUserRequest(user_id=user.id, active=False), metadata=herself)
    )
    assert (error.code(), error.details()) == (
        grpc.StatusCode.FAILED_PRECONDITION,
        "Administrators cannot demote or deactivate their own account.",
    )
    assert problem_from_trailers(error.trailing_metadata()) == NamedProblem("cannot-change-own-account", {})


async def test_a_reused_refresh_token_is_told_apart_from_an_invalid_one(served: Served) -> None:
    await register(served, "carla@example.com")
    first = await served.stub.IssuePasswordGrant(
        pb.IssuePasswordGrantRequest(email="carla@example.com", password=PASSWORD)
    )
    token = first.grant.refresh_token
    await served.stub.IssueRefreshGrant(pb.IssueRefreshGrantRequest(refresh_token=token))
    reused = await refusal(served.stub.IssueRefreshGrant(pb.IssueRefreshGrantRequest(refresh_token=token)))
    assert reused.details() == "The refresh token was already used."
    unknown = await refusal(served.stub.IssueRefreshGrant(pb.IssueRefreshGrantRequest(refresh_token="x")))
    assert unknown.details() == "The refresh token is invalid or expired."


async def test_an_unreadable_principal_counts_as_anonymous(served: Served) -> None:
    error = await refusal(
        served.stub.GetCurrentUser(pb.GetCurrentUserRequest(), metadata=((METADATA_KEY, "{not json"),))
    )
    assert (error.code(), error.details()) == (grpc.StatusCode.UNAUTHENTICATED, "Authentication required.")


async def test_an_api_client_is_created_and_granted_through_the_servicer(served: Served) -> None:
    organization = await served.stub.CreateOrganization(
        pb.CreateOrganizationRequest(name="Socios S.A."), metadata=as_admin()
    )
    created = await served.stub.CreateApiClient(
        pb.CreateApiClientRequest(
            name="Socio",
            scopes=["tickets:read", "events:read"],
            rate_limit_tier="partner",
            organization_id=organization.organization.id,
        ),
        metadata=as_admin(),
    )
    assert (list(created.scopes), created.rate_limit_tier) == (["events:read", "tickets:read"], "partner")
    reply = await served.stub.IssueClientCredentialsGrant(
        pb.IssueClientCredentialsGrantRequest(
            client_id=created.client_id, client_secret=created.client_secret
        )
    )
    assert (reply.rate_limit_tier, reply.grant.refresh_token, reply.grant.scope) == (
        "partner",
        "",
        "events:read tickets:read",
    )
    entries = (
        await served.stub.ListAuditEntries(pb.ListAuditEntriesRequest(page_size=2), metadata=as_admin())
    ).entries
    assert [(e.action, e.outcome) for e in entries] == [
        ("auth.client_credentials_grant", "success"),
        ("api_client.create", "success"),
    ]
    assert entries[0].occurred_at.ToDatetime().replace(tzinfo=NOW.tzinfo) == NOW


def as_user(user: pb.User) -> tuple[tuple[str, str], ...]:
    return (Principal(uuid.UUID(user.id), PrincipalKind.USER, Role.CUSTOMER).to_metadata(),)


async def test_users_rename_themselves_and_change_their_password_through_the_servicer(served: Served) -> None:
    user = await register(served, "rosa@example.com")
    reply: pb.UpdateMyProfileResponse = await served.stub.UpdateMyProfile(
        pb.UpdateMyProfileRequest(full_name="Rosa Ruiz"), metadata=as_user(user)
    )
    assert reply.user.full_name == "Rosa Ruiz"

    grant = (
        await served.stub.IssuePasswordGrant(
            pb.IssuePasswordGrantRequest(email="rosa@example.com", password=PASSWORD)
        )
    ).grant
    error = await refusal(
        served.stub.ChangeMyPassword(
            pb.ChangeMyPasswordRequest(current_password="wrong", new_password="Niebla-Granate-Muelle-77"),
            metadata=as_user(user),
        )
    )
    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert [item["field"] for item in field_errors_from_trailers(error.trailing_metadata())] == [
        "current_password"
    ]

    await served.stub.ChangeMyPassword(
        pb.ChangeMyPasswordRequest(
            current_password=PASSWORD,
            new_password="Niebla-Granate-Muelle-77",
            refresh_token=grant.refresh_token,
        ),
        metadata=as_user(user),
    )
    await served.stub.IssueRefreshGrant(pb.IssueRefreshGrantRequest(refresh_token=grant.refresh_token))

    error = await refusal(served.stub.ChangeMyPassword(pb.ChangeMyPasswordRequest(current_password=PASSWORD)))
    assert error.code() is grpc.StatusCode.UNAUTHENTICATED


async def test_an_organization_is_read_by_anyone_by_its_id(served: Served) -> None:
    created: pb.CreateOrganizationResponse = await served.stub.CreateOrganization(
        pb.CreateOrganizationRequest(name="Producciones Sur"), metadata=as_admin()
    )
    reply: pb.GetOrganizationResponse = await served.stub.GetOrganization(
        pb.GetOrganizationRequest(organization_id=created.organization.id)
    )
    assert reply.organization.name == "Producciones Sur"
    error = await refusal(
        served.stub.GetOrganization(pb.GetOrganizationRequest(organization_id=str(uuid.uuid4())))
    )
    assert error.code() is grpc.StatusCode.NOT_FOUND
