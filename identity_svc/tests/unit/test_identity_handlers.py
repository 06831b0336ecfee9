"""Use cases against in-memory fakes: accounts, grants, lockout, refresh rotation, logout,
administration, audit rows in the same transaction, and signing keys. Time comes from a fake clock."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from typing import Any

import pytest
from identity_fakes import (
    NOW,
    DatabaseGone,
    FakeClock,
    FakeKeyRing,
    FakePasswordHasher,
    FakeUnitOfWork,
    read_token,
)

from identity_svc.application import handlers
from identity_svc.application.handlers import ClientGrant, Grant, TokenSettings, hash_token
from identity_svc.bootstrap import bind_handlers
from identity_svc.domain import commands
from identity_svc.domain.commands import Actor, ActorKind
from identity_svc.domain.errors import (
    CannotChangeOwnAccount,
    Forbidden,
    InsufficientScope,
    InvalidAuthorizationCode,
    InvalidAuthorizationRequest,
    InvalidClient,
    InvalidCredentials,
    InvalidInput,
    InvalidRefreshToken,
    InvalidScope,
    NotAuthenticated,
    NotFound,
    OrganizationNameTaken,
    RefreshTokenReused,
)
from identity_svc.domain.events import RegistrationAttempted
from identity_svc.domain.model import ApiClient, Organization, PublicClient, Role, User, pkce_challenge

pytestmark = pytest.mark.asyncio(loop_scope="session")
TOKENS = TokenSettings(issuer="https://taquilla.test", audience="taquilla-api")
PASSWORD = "Bruma-Cobalto-Faro-42"
CORRELATION = str(uuid.uuid4())


@dataclasses.dataclass
class Identity:
    """The fakes one test works with."""

    clock: FakeClock
    uow: FakeUnitOfWork
    hasher: FakePasswordHasher
    keys: FakeKeyRing


def identity() -> Identity:
    clock = FakeClock()
    return Identity(clock, FakeUnitOfWork(clock), FakePasswordHasher(), FakeKeyRing())


def make_user(**overrides: Any) -> User:
    user = User(
        id=uuid.uuid4(),
        email=f"ana.{uuid.uuid4().hex[:8]}@example.com",
        full_name="Ana Gómez",
        role=Role.CUSTOMER,
        password_hash=FakePasswordHasher.hashed(PASSWORD),
        created_at=NOW - dt.timedelta(days=10),
    )
    return dataclasses.replace(user, **overrides)


def make_organization(**overrides: Any) -> Organization:
    organization = Organization(id=uuid.uuid4(), name=f"Producciones {uuid.uuid4().hex[:6]}", created_at=NOW)
    return dataclasses.replace(organization, **overrides)


def make_api_client(secret: str, **overrides: Any) -> ApiClient:
    client = ApiClient(
        id=uuid.uuid4(),
        client_id=f"tq_{uuid.uuid4().hex[:24]}",
        name="Socio",
        secret_hash=hash_token(secret),
        scopes=frozenset({"events:read", "tickets:read"}),
        rate_limit_tier="partner",
        organization_id=None,
    )
    return dataclasses.replace(client, **overrides)


def acting_as(user: User) -> Actor:
    return Actor(user.id, ActorKind.USER, user.role, user.organization_id)


def an_admin(it: Identity) -> Actor:
    admin = make_user(role=Role.ADMIN)
    it.uow.given(admin)
    return acting_as(admin)


async def attempt_registration(it: Identity, **overrides: str) -> User | None:
    fields = {"email": "Nueva@Example.com", "password": PASSWORD, "full_name": "Nuria Nueva"} | overrides
    command = commands.RegisterCustomer(correlation_id=CORRELATION, **fields)
    return await handlers.register_customer(command, it.uow, it.clock, hasher=it.hasher)


async def register(it: Identity, **overrides: str) -> User:
    user = await attempt_registration(it, **overrides)
    assert user is not None
    return user


async def sign_in(it: Identity, email: str, password: str = PASSWORD, scope: str = "") -> Grant:
    command = commands.IssuePasswordGrant(
        correlation_id=CORRELATION, email=email, password=password, scope=scope
    )
    return await handlers.issue_password_grant(
        command, it.uow, it.clock, hasher=it.hasher, keys=it.keys, tokens=TOKENS
    )


async def refresh(it: Identity, refresh_token: str, scope: str = "") -> Grant:
    command = commands.IssueRefreshGrant(correlation_id=CORRELATION, refresh_token=refresh_token, scope=scope)
    return await handlers.issue_refresh_grant(command, it.uow, it.clock, keys=it.keys, tokens=TOKENS)


async def log_out(it: Identity, actor: Actor | None, refresh_token: str) -> None:
    command = commands.RevokeRefreshToken(actor=actor, refresh_token=refresh_token)
    await handlers.revoke_refresh_token(command, it.uow, it.clock)


async def client_grant(it: Identity, client_id: str, secret: str, scope: str = "") -> ClientGrant:
    command = commands.IssueClientCredentialsGrant(client_id=client_id, client_secret=secret, scope=scope)
    return await handlers.issue_client_credentials_grant(
        command, it.uow, it.clock, keys=it.keys, tokens=TOKENS
    )


async def rotate(it: Identity, actor: Actor | None) -> str:
    return await handlers.rotate_signing_key(
        commands.RotateSigningKey(actor=actor), it.uow, it.clock, keys=it.keys
    )


async def published_kids(it: Identity) -> list[str]:
    keys = await handlers.get_jwks(commands.GetJwks(), it.uow, it.clock, keys=it.keys)
    return [key.kid for key in keys]


# ---------------------------------------------------------------- registration


async def test_registering_stores_the_customer_and_its_audit_row_in_one_commit() -> None:
    it = identity()
    user = await register(it)
    assert it.uow.commits == 1
    stored = it.uow.committed.users[user.id]
    assert (stored.email, stored.role, stored.organization_id) == ("nueva@example.com", Role.CUSTOMER, None)
    assert stored.password_hash == it.hasher.hashed(PASSWORD)
    [row] = it.uow.audit_rows()
    assert (row.actor, row.action, row.target, row.outcome) == (
        str(user.id),
        "user.register",
        f"user:{user.id}",
        "success",
    )
    assert row.correlation_id == CORRELATION


async def test_a_new_account_is_dated_by_the_clock() -> None:
    it = identity()
    it.clock.advance(days=3)
    user = await register(it)
    assert user.created_at == NOW + dt.timedelta(days=3)


async def test_registering_a_taken_email_changes_no_account_and_tells_its_owner() -> None:
    it = identity()
    owner = make_user(email="nueva@example.com")
    it.uow.given(owner)
    assert await attempt_registration(it, email="NUEVA@example.com") is None
    assert it.uow.committed.users == {owner.id: owner}
    # The same work as a new account (the password is hashed), so the time tells nothing either.
    assert it.hasher.hashes == 1
    assert it.uow.committed.outbox == [(RegistrationAttempted(owner.id, NOW), CORRELATION)]
    [row] = it.uow.audit_rows()
    assert (row.actor, row.action, row.target, row.outcome) == (
        "anonymous",
        "user.register",
        f"user:{owner.id}",
        "email_taken",
    )


async def test_a_new_account_tells_nobody_through_the_outbox() -> None:
    it = identity()
    await register(it)
    assert it.uow.committed.outbox == []


async def test_registration_reports_every_invalid_field_at_once_and_stores_nothing() -> None:
    it = identity()
    with pytest.raises(InvalidInput) as refused:
        await register(it, email="not-an-email", full_name="   ", password="iloveyou1234")
    assert {problem.field for problem in refused.value.problems} == {"email", "full_name", "password"}
    assert it.uow.committed.users == {}
    assert it.uow.commits == 0


async def test_when_the_commit_fails_neither_the_account_nor_its_audit_row_is_kept() -> None:
    it = identity()
    it.uow.commit_fails = True
    with pytest.raises(DatabaseGone):
        await register(it)
    assert it.uow.committed.users == {}
    assert it.uow.audit_rows() == []


# ---------------------------------------------------------------- password grant


async def test_a_password_grant_signs_an_access_token_and_starts_a_refresh_token_family() -> None:
    it = identity()
    user = make_user(role=Role.ORGANIZER, organization_id=uuid.uuid4())
    it.uow.given(user)
    grant = await sign_in(it, user.email.upper())

    kid, claims = read_token(grant.access_token)
    assert kid == "key-1"  # the first key is made when none exists yet
    assert [key.kid for key in it.uow.committed.signing_keys] == ["key-1"]
    assert claims["iss"] == TOKENS.issuer
    assert claims["aud"] == TOKENS.audience
    assert (claims["sub"], claims["kind"], claims["role"]) == (str(user.id), "user", "organizer")
    assert claims["org"] == str(user.organization_id)
    assert claims["iat"] == claims["nbf"] == int(NOW.timestamp())
    assert claims["exp"] == int(NOW.timestamp()) + 15 * 60
    assert "tier" not in claims
    assert grant.expires_in == 15 * 60
    assert grant.scope == {"events:read", "events:write", "tickets:read", "tickets:write", "checkin"}

    [stored] = it.uow.committed.refresh_tokens.values()
    assert stored.token_hash == hash_token(grant.refresh_token)
    assert (stored.user_id, stored.issued_at, stored.expires_at) == (
        user.id,
        NOW,
        NOW + dt.timedelta(days=30),
    )
    assert it.uow.committed.users[user.id].last_login_at == NOW
    [row] = it.uow.audit_rows("auth.password_grant")
    assert (row.actor, row.outcome) == (str(user.id), "success")


async def test_a_password_grant_narrows_to_the_requested_scopes_and_refuses_any_other() -> None:
    it = identity()
    user = make_user()
    it.uow.given(user)
    assert (await sign_in(it, user.email, scope="events:read")).scope == {"events:read"}
    with pytest.raises(InvalidScope):
        await sign_in(it, user.email, scope="events:write")
    assert len(it.uow.committed.refresh_tokens) == 1


async def test_a_wrong_password_is_counted_and_audited_before_it_is_refused() -> None:
    it = identity()
    user = make_user()
    it.uow.given(user)
    with pytest.raises(InvalidCredentials):
        await sign_in(it, user.email, password="Otra-Clave-Distinta-9")
    assert it.uow.committed.users[user.id].failed_logins == 1
    [row] = it.uow.audit_rows("auth.password_grant")
    assert (row.actor, row.target, row.outcome) == ("anonymous", f"user:{user.id}", "denied")
    assert it.uow.committed.refresh_tokens == {}


async def test_an_unknown_email_costs_a_decoy_verification_and_is_audited_as_unknown() -> None:
    it = identity()
    with pytest.raises(InvalidCredentials):
        await sign_in(it, "nadie@example.com")
    assert it.hasher.decoy_verifications == 1
    [row] = it.uow.audit_rows("auth.password_grant")
    assert (row.target, row.outcome) == ("user:unknown", "denied")


async def test_five_failures_in_a_row_lock_the_account_until_the_clock_passes_the_lock() -> None:
    it = identity()
    user = make_user()
    it.uow.given(user)
    for _ in range(5):
        with pytest.raises(InvalidCredentials):
            await sign_in(it, user.email, password="Otra-Clave-Distinta-9")
    assert it.uow.committed.users[user.id].locked_until == NOW + dt.timedelta(seconds=30)

    it.clock.advance(seconds=29)
    checked = it.hasher.verifications
    with pytest.raises(InvalidCredentials):
        await sign_in(it, user.email)  # the right password, but still locked
    assert it.hasher.verifications == checked + 1  # a locked account still pays the password check

    it.clock.advance(seconds=1)
    await sign_in(it, user.email)
    signed_in = it.uow.committed.users[user.id]
    assert (signed_in.failed_logins, signed_in.locked_until) == (0, None)
    assert signed_in.last_login_at == NOW + dt.timedelta(seconds=30)


async def test_attempts_during_a_lock_neither_count_nor_extend_it() -> None:
    it = identity()
    user = make_user(failed_logins=5, locked_until=NOW + dt.timedelta(seconds=30))
    it.uow.given(user)
    with pytest.raises(InvalidCredentials):
        await sign_in(it, user.email, password="Otra-Clave-Distinta-9")
    still = it.uow.committed.users[user.id]
    assert (still.failed_logins, still.locked_until) == (5, NOW + dt.timedelta(seconds=30))
    assert [row.outcome for row in it.uow.audit_rows()] == ["denied"]


async def test_the_next_lock_after_a_lock_expires_lasts_twice_as_long() -> None:
    it = identity()
    user = make_user(failed_logins=5, locked_until=NOW + dt.timedelta(seconds=30))
    it.uow.given(user)
    it.clock.advance(seconds=30)
    with pytest.raises(InvalidCredentials):
        await sign_in(it, user.email, password="Otra-Clave-Distinta-9")
    assert it.uow.committed.users[user.id].locked_until == it.clock() + dt.timedelta(seconds=60)


async def test_an_inactive_account_cannot_sign_in_even_with_the_right_password() -> None:
    it = identity()
    user = make_user(active=False)
    it.uow.given(user)
    with pytest.raises(InvalidCredentials):
        await sign_in(it, user.email)
    assert it.uow.committed.users[user.id].failed_logins == 0
    assert it.uow.committed.refresh_tokens == {}


# ---------------------------------------------------------------- refresh tokens


async def test_a_refresh_spends_the_token_and_issues_a_new_one_of_the_same_family() -> None:
    it = identity()
    user = make_user()
    it.uow.given(user)
    first = await sign_in(it, user.email, scope="events:read")
    it.clock.advance(minutes=20)
    second = await refresh(it, first.refresh_token)

    assert second.refresh_token != first.refresh_token
    # A refresh keeps the scope the sign-in asked for, in the grant and in the token.
    assert second.scope == {"events:read"}
    assert read_token(second.access_token)[1]["scope"] == "events:read"
    assert read_token(second.access_token)[1]["iat"] == int(it.clock().timestamp())
    tokens = {t.token_hash: t for t in it.uow.committed.refresh_tokens.values()}
    spent, fresh = tokens[hash_token(first.refresh_token)], tokens[hash_token(second.refresh_token)]
    assert spent.used_at == it.clock()
    assert fresh.family_id == spent.family_id
    assert fresh.issued_at == it.clock()


async def test_a_refresh_keeps_the_narrowed_scope_across_rotations_and_may_narrow_it_further() -> None:
    it = identity()
    user = make_user()
    it.uow.given(user)
    first = await sign_in(it, user.email, scope="events:read tickets:read")
    second = await refresh(it, first.refresh_token)
    narrower = await refresh(it, second.refresh_token, scope="tickets:read")
    third = await refresh(it, narrower.refresh_token)

    assert second.scope == third.scope == {"events:read", "tickets:read"}
    assert narrower.scope == {"tickets:read"}
    with pytest.raises(InvalidScope):
        await refresh(it, third.refresh_token, scope="tickets:write")


async def test_a_refresh_without_a_narrowed_scope_follows_the_role_and_never_outlives_it() -> None:
    it = identity()
    user = make_user()
    it.uow.given(user)
    wide = await sign_in(it, user.email)
    narrow = await sign_in(it, user.email, scope="events:read tickets:write")
    it.uow.given(dataclasses.replace(it.uow.committed.users[user.id], role=Role.STAFF))

    assert (await refresh(it, wide.refresh_token)).scope == {"events:read", "tickets:read", "checkin"}
    # What the sign-in asked for and the new role no longer allows is gone.
    assert (await refresh(it, narrow.refresh_token)).scope == {"events:read"}


async def test_an_administrators_token_without_the_admin_scope_is_refused_and_audited() -> None:
    it = identity()
    admin = dataclasses.replace(an_admin(it), scopes=frozenset({"events:read"}))
    with pytest.raises(InsufficientScope):
        await handlers.rotate_signing_key(
            commands.RotateSigningKey(correlation_id=CORRELATION, actor=admin), it.uow, it.clock, keys=it.keys
        )
    assert [entry.outcome for entry in it.uow.committed.audit] == ["denied"]


async def test_a_refresh_token_family_ends_thirty_days_after_sign_in_however_often_it_rotates() -> None:
    it = identity()
    user = make_user()
    it.uow.given(user)
    signed_in_at = it.clock()
    grant = await sign_in(it, user.email)
    for _ in range(29):  # a daily refresh keeps working for thirty days...
        it.clock.advance(days=1)
        grant = await refresh(it, grant.refresh_token)
    newest = next(
        t for t in it.uow.committed.refresh_tokens.values() if t.token_hash == hash_token(grant.refresh_token)
    )
    assert newest.expires_at == signed_in_at + dt.timedelta(days=30)
    it.clock.advance(days=1)  # ...and not a moment longer: the holder signs in again
    with pytest.raises(InvalidRefreshToken, match="expired"):
        await refresh(it, grant.refresh_token)


async def test_presenting_a_spent_refresh_token_revokes_its_whole_family() -> None:
    it = identity()
    user = make_user()
    it.uow.given(user)
    first = await sign_in(it, user.email)
    second = await refresh(it, first.refresh_token)

    with pytest.raises(RefreshTokenReused):
        await refresh(it, first.refresh_token)
    assert all(t.revoked_at == NOW for t in it.uow.committed.refresh_tokens.values())
    [row] = it.uow.audit_rows("auth.refresh_token_reuse")
    assert (row.target, row.outcome) == (f"user:{user.id}", "denied")
    with pytest.raises(InvalidRefreshToken):
        await refresh(it, second.refresh_token)  # the thief and the holder both lose


async def test_an_unknown_refresh_token_is_refused() -> None:
    with pytest.raises(InvalidRefreshToken):
        await refresh(identity(), "no-such-token")


async def test_a_refresh_token_expires_thirty_days_after_it_was_issued() -> None:
    it = identity()
    user = make_user()
    it.uow.given(user)
    grant = await sign_in(it, user.email)
    it.clock.advance(days=30)
    with pytest.raises(InvalidRefreshToken):
        await refresh(it, grant.refresh_token)


async def test_refreshing_for_a_deactivated_account_is_refused_and_revokes_the_family() -> None:
    it = identity()
    user = make_user()
    it.uow.given(user)
    grant = await sign_in(it, user.email)
    it.uow.given(dataclasses.replace(it.uow.committed.users[user.id], active=False))
    with pytest.raises(InvalidRefreshToken):
        await refresh(it, grant.refresh_token)
    [token] = it.uow.committed.refresh_tokens.values()
    assert token.revoked_at == NOW


# ---------------------------------------------------------------- client credentials


async def test_an_api_client_gets_an_access_token_with_its_tier_and_no_refresh_token() -> None:
    it = identity()
    client = make_api_client("s3cret", organization_id=uuid.uuid4())
    it.uow.given(client)
    grant = await client_grant(it, client.client_id, "s3cret", scope="events:read")

    assert grant.refresh_token == ""
    assert grant.rate_limit_tier == "partner"
    assert grant.scope == {"events:read"}
    _, claims = read_token(grant.access_token)
    assert (claims["sub"], claims["kind"], claims["role"]) == (str(client.id), "client", None)
    assert (claims["org"], claims["tier"]) == (str(client.organization_id), "partner")
    assert claims["exp"] == int(NOW.timestamp()) + 15 * 60
    [row] = it.uow.audit_rows("auth.client_credentials_grant")
    assert (row.actor, row.target, row.outcome) == (str(client.id), f"client:{client.client_id}", "success")


async def test_a_wrong_client_secret_or_an_inactive_client_is_refused_and_audited() -> None:
    it = identity()
    client = make_api_client("s3cret")
    retired = make_api_client("s3cret", active=False)
    it.uow.given(client, retired)
    with pytest.raises(InvalidClient):
        await client_grant(it, client.client_id, "guess")
    with pytest.raises(InvalidClient):
        await client_grant(it, retired.client_id, "s3cret")
    with pytest.raises(InvalidScope):
        await client_grant(it, client.client_id, "s3cret", scope="events:write")
    assert [(r.target, r.outcome) for r in it.uow.audit_rows()] == [
        (f"client:{client.client_id}", "denied"),
        (f"client:{retired.client_id}", "denied"),
    ]


# ---------------------------------------------------------------- logout


async def test_logging_out_revokes_the_family_so_the_refresh_token_no_longer_works() -> None:
    it = identity()
    user = make_user()
    it.uow.given(user)
    grant = await sign_in(it, user.email)
    it.clock.advance(minutes=5)
    await log_out(it, acting_as(user), grant.refresh_token)

    [token] = it.uow.committed.refresh_tokens.values()
    assert token.revoked_at == it.clock()
    [row] = it.uow.audit_rows("auth.logout")
    assert (row.actor, row.target) == (str(user.id), f"user:{user.id}")
    with pytest.raises(InvalidRefreshToken):
        await refresh(it, grant.refresh_token)


async def test_nobody_else_can_revoke_a_users_refresh_token() -> None:
    it = identity()
    user, other = make_user(), make_user()
    it.uow.given(user, other)
    grant = await sign_in(it, user.email)
    await log_out(it, acting_as(other), grant.refresh_token)  # silently ignored (RFC 7009)
    assert it.uow.audit_rows("auth.logout") == []
    await refresh(it, grant.refresh_token)


async def test_revoking_an_unknown_refresh_token_is_a_silent_no_op() -> None:
    it = identity()
    await log_out(it, None, "no-such-token")
    assert it.uow.commits == 0


# ---------------------------------------------------------------- accounts and administration


async def test_the_current_user_is_the_callers_own_account_and_needs_a_users_token() -> None:
    it = identity()
    user = make_user()
    it.uow.given(user)
    assert (
        await handlers.get_current_user(commands.GetCurrentUser(actor=acting_as(user)), it.uow)
    ).id == user.id
    client = Actor(uuid.uuid4(), ActorKind.CLIENT)
    with pytest.raises(NotAuthenticated):
        await handlers.get_current_user(commands.GetCurrentUser(actor=client), it.uow)
    with pytest.raises(NotFound):
        await handlers.get_current_user(commands.GetCurrentUser(actor=acting_as(make_user())), it.uow)


async def test_an_admin_moves_a_customer_into_an_organization_as_organizer_and_it_is_audited() -> None:
    it = identity()
    admin = an_admin(it)
    user, organization = make_user(), make_organization()
    it.uow.given(user, organization)
    command = commands.UpdateUser(
        actor=admin,
        correlation_id=CORRELATION,
        user_id=user.id,
        role=Role.ORGANIZER,
        set_organization=True,
        organization_id=organization.id,
    )
    changed = await handlers.update_user(command, it.uow)

    assert (changed.role, changed.organization_id) == (Role.ORGANIZER, organization.id)
    assert it.uow.committed.users[user.id] == changed
    [row] = it.uow.audit_rows("user.update")
    assert (row.actor, row.target, row.outcome) == (str(admin.subject), f"user:{user.id}", "success")
    assert row.correlation_id == CORRELATION


async def test_a_non_admins_change_is_refused_and_the_attempt_audited() -> None:
    it = identity()
    user = make_user()
    it.uow.given(user)
    command = commands.UpdateUser(actor=acting_as(user), user_id=user.id, role=Role.ADMIN)
    with pytest.raises(Forbidden):
        await handlers.update_user(command, it.uow)
    assert it.uow.committed.users[user.id].role is Role.CUSTOMER
    [row] = it.uow.audit_rows("user.update")
    assert (row.actor, row.outcome) == (str(user.id), "denied")
    with pytest.raises(NotAuthenticated):
        await handlers.update_user(dataclasses.replace(command, actor=None), it.uow)


async def test_an_admin_cannot_demote_or_deactivate_themselves() -> None:
    it = identity()
    admin = an_admin(it)
    demotion = commands.UpdateUser(actor=admin, user_id=admin.subject, role=Role.CUSTOMER)
    deactivation = commands.UpdateUser(actor=admin, user_id=admin.subject, active=False)
    for command in (demotion, deactivation):
        with pytest.raises(CannotChangeOwnAccount):
            await handlers.update_user(command, it.uow)
    assert it.uow.committed.users[admin.subject].role is Role.ADMIN
    assert it.uow.audit_rows() == []


async def test_a_user_cannot_join_an_organization_that_does_not_exist_nor_an_unknown_user_change() -> None:
    it = identity()
    admin = an_admin(it)
    user = make_user()
    it.uow.given(user)
    joining = commands.UpdateUser(
        actor=admin, user_id=user.id, role=Role.STAFF, set_organization=True, organization_id=uuid.uuid4()
    )
    with pytest.raises(InvalidInput) as refused:
        await handlers.update_user(joining, it.uow)
    assert [problem.field for problem in refused.value.problems] == ["organization_id"]
    with pytest.raises(NotFound):
        await handlers.update_user(commands.UpdateUser(actor=admin, user_id=uuid.uuid4()), it.uow)


async def test_admins_list_users_by_email_a_page_at_a_time() -> None:
    it = identity()
    admin = an_admin(it)
    emails = [f"{name}@example.com" for name in ("carla", "ana", "beto")]
    it.uow.given(*(make_user(email=email) for email in emails))
    it.uow.given(make_user(email="zoe@example.com", role=Role.ADMIN))
    first = commands.ListUsers(actor=admin, role=Role.CUSTOMER, email_contains=" @EXAMPLE.com ", page_size=2)
    users, following = await handlers.list_users(first, it.uow)
    assert [u.email for u in users] == ["ana@example.com", "beto@example.com"]
    users, last = await handlers.list_users(dataclasses.replace(first, page_token=following), it.uow)
    assert ([u.email for u in users], last) == (["carla@example.com"], "")
    with pytest.raises(InvalidInput):
        await handlers.list_users(dataclasses.replace(first, page_token="not a cursor!"), it.uow)
    with pytest.raises(InvalidInput):
        await handlers.list_users(dataclasses.replace(first, page_size=101), it.uow)


async def test_only_admins_list_users_or_read_the_audit_log() -> None:
    it = identity()
    customer = make_user()
    for actor, refusal in ((None, NotAuthenticated), (acting_as(customer), Forbidden)):
        with pytest.raises(refusal):
            await handlers.list_users(commands.ListUsers(actor=actor), it.uow)
        with pytest.raises(refusal):
            await handlers.list_audit_entries(commands.ListAuditEntries(actor=actor), it.uow)


async def test_organizations_are_dated_by_the_clock_and_their_names_unique_whatever_the_case() -> None:
    it = identity()
    admin = an_admin(it)
    it.clock.advance(hours=1)
    command = commands.CreateOrganization(actor=admin, name="  Producciones Luna ")
    organization = await handlers.create_organization(command, it.uow, it.clock)
    assert (organization.name, organization.created_at) == ("Producciones Luna", NOW + dt.timedelta(hours=1))
    assert it.uow.committed.organizations[organization.id] == organization
    assert [row.target for row in it.uow.audit_rows("organization.create")] == [
        f"organization:{organization.id}"
    ]
    with pytest.raises(OrganizationNameTaken):
        await handlers.create_organization(
            dataclasses.replace(command, name="PRODUCCIONES LUNA"), it.uow, it.clock
        )
    with pytest.raises(Forbidden):
        await handlers.create_organization(
            dataclasses.replace(command, actor=acting_as(make_user()), name="Otra"), it.uow, it.clock
        )


async def test_a_new_api_clients_secret_is_returned_once_and_only_its_hash_is_stored() -> None:
    it = identity()
    admin = an_admin(it)
    command = commands.CreateApiClient(actor=admin, name="Socio", scopes=("events:read", "events:read"))
    created = await handlers.create_api_client(command, it.uow)

    assert (created.scopes, created.rate_limit_tier) == (frozenset({"events:read"}), "standard")
    stored = it.uow.committed.api_clients[created.client_id]
    assert stored.secret_hash == hash_token(created.client_secret)
    assert created.client_secret not in repr(stored)
    [row] = it.uow.audit_rows("api_client.create")
    assert row.target == f"client:{created.client_id}"
    # The new client can use its secret straight away.
    assert (await client_grant(it, created.client_id, created.client_secret)).rate_limit_tier == "standard"


async def test_an_api_client_needs_known_scopes_a_known_tier_and_an_existing_organization() -> None:
    it = identity()
    command = commands.CreateApiClient(
        actor=an_admin(it),
        name="",
        scopes=("events:read", "everything"),
        rate_limit_tier="gold",
        organization_id=uuid.uuid4(),
    )
    with pytest.raises(InvalidInput) as refused:
        await handlers.create_api_client(command, it.uow)
    assert [p.field for p in refused.value.problems] == [
        "name",
        "scopes",
        "rate_limit_tier",
        "organization_id",
    ]
    assert it.uow.committed.api_clients == {}


async def test_the_audit_log_pages_newest_first_and_filters_by_action() -> None:
    it = identity()
    admin = an_admin(it)
    for _ in range(3):
        await register(it, email=f"{uuid.uuid4().hex[:8]}@example.com")
    await rotate(it, admin)
    first = commands.ListAuditEntries(actor=admin, page_size=2, action_prefix="user.")
    rows, following = await handlers.list_audit_entries(first, it.uow)
    assert [row.id for row in rows] == [3, 2]
    rows, last = await handlers.list_audit_entries(dataclasses.replace(first, page_token=following), it.uow)
    assert ([row.id for row in rows], last) == ([1], "")
    newest, _ = await handlers.list_audit_entries(commands.ListAuditEntries(actor=admin), it.uow)
    assert newest[0].action == "signing_key.rotate"


async def test_only_services_read_a_users_contact() -> None:
    it = identity()
    user = make_user(email="ana@example.com")
    it.uow.given(user)
    service = Actor(uuid.uuid4(), ActorKind.SERVICE)
    contact = await handlers.get_user_contact(commands.GetUserContact(actor=service, user_id=user.id), it.uow)
    assert (contact.email, contact.full_name, contact.locale, contact.active) == (
        "ana@example.com",
        "Ana Gómez",
        "es",
        True,
    )
    with pytest.raises(Forbidden):
        await handlers.get_user_contact(
            commands.GetUserContact(actor=acting_as(user), user_id=user.id), it.uow
        )
    with pytest.raises(NotFound):
        await handlers.get_user_contact(commands.GetUserContact(actor=service, user_id=uuid.uuid4()), it.uow)


async def test_only_services_list_the_active_organizers_of_an_organization() -> None:
    it = identity()
    organization, other = make_organization(), make_organization()
    organization_user = make_user(
        email="Bea@example.com", role=Role.ORGANIZER, organization_id=organization.id
    )
    it.uow.given(
        organization,
        other,
        make_user(email="zoe@example.com", role=Role.ORGANIZER, organization_id=organization.id),
        organization_user,
        make_user(
            email="gone@example.com", role=Role.ORGANIZER, organization_id=organization.id, active=False
        ),
        make_user(email="staff@example.com", role=Role.STAFF, organization_id=organization.id),
        make_user(email="elsewhere@example.com", role=Role.ORGANIZER, organization_id=other.id),
    )
    service = Actor(uuid.uuid4(), ActorKind.SERVICE)
    members = await handlers.list_organization_contacts(
        commands.ListOrganizationContacts(actor=service, organization_id=organization.id), it.uow
    )
    assert [(member.email, member.locale) for member in members] == [
        ("Bea@example.com", "es"),
        ("zoe@example.com", "es"),
    ]
    assert (members[0].user_id, members[0].full_name) == (organization_user.id, "Ana Gómez")
    unknown = commands.ListOrganizationContacts(actor=service, organization_id=uuid.uuid4())
    assert await handlers.list_organization_contacts(unknown, it.uow) == []
    with pytest.raises(Forbidden):
        await handlers.list_organization_contacts(
            commands.ListOrganizationContacts(
                actor=acting_as(organization_user), organization_id=organization.id
            ),
            it.uow,
        )


# ---------------------------------------------------------------- signing keys


async def test_the_first_jwks_request_makes_and_commits_the_first_key() -> None:
    it = identity()
    assert await published_kids(it) == ["key-1"]
    assert it.uow.commits == 1
    assert await published_kids(it) == ["key-1"]
    assert it.uow.commits == 1  # later requests only read


async def test_after_a_rotation_new_tokens_use_the_new_key_and_the_previous_one_still_verifies() -> None:
    it = identity()
    admin = an_admin(it)
    user = make_user()
    it.uow.given(user)
    before = await sign_in(it, user.email)
    it.clock.advance(days=1)
    kid = await rotate(it, admin)

    assert kid == "key-2"
    assert it.uow.committed.signing_keys[-1].created_at == NOW + dt.timedelta(days=1)
    assert read_token(before.access_token)[0] == "key-1"
    assert read_token((await sign_in(it, user.email)).access_token)[0] == "key-2"
    assert await published_kids(it) == ["key-2", "key-1"]
    it.clock.advance(days=1)
    await rotate(it, admin)
    assert await published_kids(it) == ["key-3", "key-2"]  # only the current and the previous one
    assert [row.target for row in it.uow.audit_rows("signing_key.rotate")] == [
        "signing_key:key-2",
        "signing_key:key-3",
    ]


async def test_only_admins_rotate_the_signing_key_and_refusals_are_audited() -> None:
    it = identity()
    customer = make_user()
    with pytest.raises(Forbidden):
        await rotate(it, acting_as(customer))
    with pytest.raises(NotAuthenticated):
        await rotate(it, None)
    assert it.uow.committed.signing_keys == []
    [row] = it.uow.audit_rows("signing_key.rotate")
    assert (row.actor, row.target, row.outcome) == (str(customer.id), "signing_keys", "denied")


# ---------------------------------------------------------------- wiring


async def test_bootstrap_binds_each_use_case_to_the_clock_and_the_adapters_once() -> None:
    it = identity()
    bound = bind_handlers(clock=it.clock, hasher=it.hasher, keys=it.keys, tokens=TOKENS)
    it.clock.advance(hours=2)
    user = await bound.register_customer(
        commands.RegisterCustomer(email="bea@example.com", password=PASSWORD, full_name="Bea"), it.uow
    )
    grant = await bound.issue_password_grant(
        commands.IssuePasswordGrant(email="bea@example.com", password=PASSWORD), it.uow
    )
    assert user is not None
    assert user.created_at == it.clock()
    assert read_token(grant.access_token)[1]["iat"] == int(it.clock().timestamp())
    assert [key.kid for key in await bound.get_jwks(commands.GetJwks(), it.uow)] == ["key-1"]


async def test_admins_find_organizations_by_part_of_their_name_in_name_order() -> None:
    it = identity()
    admin = an_admin(it)
    it.uow.given(
        make_organization(name="Teatro Mayor"),
        make_organization(name="Producciones Luna"),
        make_organization(name="Luna Llena Eventos"),
    )
    found = await handlers.list_organizations(
        commands.ListOrganizations(actor=admin, name_contains=" LUNA "), it.uow
    )
    assert [o.name for o in found] == ["Luna Llena Eventos", "Producciones Luna"]
    everything = await handlers.list_organizations(commands.ListOrganizations(actor=admin), it.uow)
    assert len(everything) == 3
    one = await handlers.list_organizations(commands.ListOrganizations(actor=admin, page_size=1), it.uow)
    assert [o.name for o in one] == ["Luna Llena Eventos"]
    with pytest.raises(InvalidInput):
        await handlers.list_organizations(commands.ListOrganizations(actor=admin, page_size=51), it.uow)
    customer = make_user()
    it.uow.given(customer)
    with pytest.raises(Forbidden):
        await handlers.list_organizations(commands.ListOrganizations(actor=acting_as(customer)), it.uow)


# ---------------------------------------------------------------- one's own profile and password

NEW_PASSWORD = "Niebla-Granate-Muelle-77"


async def change_password(
    it: Identity, actor: Actor | None, current: str, new: str = NEW_PASSWORD, refresh_token: str = ""
) -> None:
    command = commands.ChangeMyPassword(
        actor=actor, current_password=current, new_password=new, refresh_token=refresh_token
    )
    await handlers.change_my_password(command, it.uow, it.clock, hasher=it.hasher)


async def test_users_change_their_own_name_and_it_is_audited() -> None:
    it = identity()
    user = make_user()
    it.uow.given(user)
    changed = await handlers.update_my_profile(
        commands.UpdateMyProfile(actor=acting_as(user), full_name="  Ana María Gómez "), it.uow
    )
    assert changed.full_name == "Ana María Gómez"
    assert it.uow.committed.users[user.id].full_name == "Ana María Gómez"
    [row] = it.uow.audit_rows("user.update_profile")
    assert row.actor == str(user.id)


async def test_a_blank_name_is_refused_at_its_field_and_an_api_client_has_no_profile() -> None:
    it = identity()
    user = make_user()
    it.uow.given(user)
    with pytest.raises(InvalidInput) as refused:
        await handlers.update_my_profile(
            commands.UpdateMyProfile(actor=acting_as(user), full_name=" "), it.uow
        )
    assert [p.field for p in refused.value.problems] == ["full_name"]
    with pytest.raises(NotAuthenticated):
        await handlers.update_my_profile(
            commands.UpdateMyProfile(actor=Actor(uuid.uuid4(), ActorKind.CLIENT), full_name="X"), it.uow
        )


async def test_changing_the_password_keeps_the_callers_session_and_ends_the_others() -> None:
    it = identity()
    user = make_user()
    it.uow.given(user)
    here = await sign_in(it, user.email)
    elsewhere = await sign_in(it, user.email)

    await change_password(it, acting_as(user), PASSWORD, refresh_token=here.refresh_token)

    assert it.uow.committed.users[user.id].password_hash == FakePasswordHasher.hashed(NEW_PASSWORD)
    await refresh(it, here.refresh_token)
    with pytest.raises(InvalidRefreshToken):
        await refresh(it, elsewhere.refresh_token)
    with pytest.raises(InvalidCredentials):
        await sign_in(it, user.email, PASSWORD)
    await sign_in(it, user.email, NEW_PASSWORD)
    [row] = it.uow.audit_rows("user.change_password")
    assert row.outcome == "success"


async def test_a_wrong_current_password_is_refused_counted_and_audited() -> None:
    it = identity()
    user = make_user()
    it.uow.given(user)
    with pytest.raises(InvalidInput) as refused:
        await change_password(it, acting_as(user), "not-my-password")
    assert [(p.field, p.code) for p in refused.value.problems] == [("current_password", "incorrect")]
    stored = it.uow.committed.users[user.id]
    assert stored.failed_logins == 1
    assert stored.password_hash == FakePasswordHasher.hashed(PASSWORD)
    [row] = it.uow.audit_rows("user.change_password")
    assert row.outcome == "denied"


async def test_a_locked_account_cannot_change_its_password_even_with_the_right_one() -> None:
    it = identity()
    user = make_user(failed_logins=5, locked_until=NOW + dt.timedelta(minutes=1))
    it.uow.given(user)
    with pytest.raises(InvalidInput) as refused:
        await change_password(it, acting_as(user), PASSWORD)
    assert [(p.field, p.code) for p in refused.value.problems] == [("current_password", "locked")]


async def test_a_new_password_is_held_to_the_sign_up_policy_at_its_own_field() -> None:
    it = identity()
    user = make_user()
    it.uow.given(user)
    with pytest.raises(InvalidInput) as refused:
        await change_password(it, acting_as(user), PASSWORD, new="short")
    assert {p.field for p in refused.value.problems} == {"new_password"}
    assert it.uow.committed.users[user.id].password_hash == FakePasswordHasher.hashed(PASSWORD)


async def test_anyone_reads_an_organizations_name_and_an_unknown_one_is_not_found() -> None:
    it = identity()
    organization = make_organization(name="Producciones Norte")
    it.uow.given(organization)
    found = await handlers.get_organization(commands.GetOrganization(organization_id=organization.id), it.uow)
    assert found.name == "Producciones Norte"
    with pytest.raises(NotFound):
        await handlers.get_organization(commands.GetOrganization(organization_id=uuid.uuid4()), it.uow)


# ---------------------------------------------------------------- authorization code with PKCE

WEB = PublicClient(
    "taquilla-web", frozenset({"https://taquilla.example/login", "http://127.0.0.1:5173/login"})
)
VERIFIER = "v" * 20 + "-._~" + "0123456789abcdefghijklm"


async def authorize(it: Identity, email: str, **overrides: str) -> str:
    fields = {
        "password": PASSWORD,
        "client_id": WEB.client_id,
        "redirect_uri": "https://taquilla.example/login",
        "code_challenge": pkce_challenge(VERIFIER),
        "code_challenge_method": "S256",
    } | overrides
    command = commands.IssueAuthorizationCode(correlation_id=CORRELATION, email=email, **fields)
    return await handlers.issue_authorization_code(
        command, it.uow, it.clock, hasher=it.hasher, clients={WEB.client_id: WEB}
    )


async def exchange(it: Identity, code: str, **overrides: str) -> Grant:
    fields = {
        "client_id": WEB.client_id,
        "redirect_uri": "https://taquilla.example/login",
        "code_verifier": VERIFIER,
    } | overrides
    command = commands.IssueAuthorizationCodeGrant(correlation_id=CORRELATION, code=code, **fields)
    return await handlers.issue_authorization_code_grant(
        command, it.uow, it.clock, keys=it.keys, tokens=TOKENS
    )


async def test_a_code_issued_at_sign_in_is_exchanged_once_with_its_verifier() -> None:
    it = identity()
    user = make_user()
    it.uow.given(user)
    code = await authorize(it, user.email, scope="events:read")
    grant = await exchange(it, code)

    assert read_token(grant.access_token)[1]["sub"] == str(user.id)
    assert grant.scope == {"events:read"}
    assert (await refresh(it, grant.refresh_token)).scope == {"events:read"}
    with pytest.raises(InvalidAuthorizationCode):
        await exchange(it, code)
    assert hash_token(code) in it.uow.committed.authorization_codes
    assert code not in str(it.uow.committed.authorization_codes)


async def test_a_code_is_spent_by_a_wrong_verifier_and_dies_after_a_minute() -> None:
    it = identity()
    user = make_user()
    it.uow.given(user)
    stolen = await authorize(it, user.email)
    with pytest.raises(InvalidAuthorizationCode):
        await exchange(it, stolen, code_verifier="w" * 43)
    with pytest.raises(InvalidAuthorizationCode):
        await exchange(it, stolen)
    late = await authorize(it, user.email)
    it.clock.advance(seconds=61)
    with pytest.raises(InvalidAuthorizationCode):
        await exchange(it, late)
    other_uri = await authorize(it, user.email)
    with pytest.raises(InvalidAuthorizationCode):
        await exchange(it, other_uri, redirect_uri="http://127.0.0.1:5173/login")


async def test_an_authorization_request_names_a_registered_client_redirect_and_s256_challenge() -> None:
    it = identity()
    user = make_user()
    it.uow.given(user)
    for overrides, error in [
        ({"client_id": "someone-else"}, "unauthorized_client"),
        ({"redirect_uri": "https://evil.example/login"}, "invalid_request"),
        ({"code_challenge_method": "plain", "code_challenge": VERIFIER}, "invalid_request"),
        ({"code_challenge": "short"}, "invalid_request"),
    ]:
        with pytest.raises(InvalidAuthorizationRequest) as refused:
            await authorize(it, user.email, **overrides)
        assert refused.value.error == error
    # A loopback redirect URI matches on any port (RFC 8252 section 7.3).
    assert await authorize(it, user.email, redirect_uri="http://127.0.0.1:41234/login")
    with pytest.raises(InvalidCredentials):
        await authorize(it, user.email, password="Not-The-Password-1")
