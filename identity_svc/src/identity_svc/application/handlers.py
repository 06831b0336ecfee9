"""Identity's use cases: one async function per command, each one transaction.

A handler takes its command, a unit of work and the clock, plus whatever else it needs as keyword
arguments (bound once by bootstrap). It reads the time only from the clock, writes its audit rows in
the same unit of work as the change they record, commits explicitly, and returns a domain result
that the entrypoints encode. Refusals that must leave a trace (a wrong password, a non-admin's
attempt) commit the trace first, then raise.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from identity_svc.application.ports import (
    AuditRecord,
    KeyRing,
    PasswordHasher,
    PublicKey,
    SigningKey,
    UnitOfWork,
)
from identity_svc.domain import model
from identity_svc.domain.commands import (
    Actor,
    ActorKind,
    ChangeMyPassword,
    CreateApiClient,
    CreateOrganization,
    GetCurrentUser,
    GetJwks,
    GetOrganization,
    GetUserContact,
    IssueAuthorizationCode,
    IssueAuthorizationCodeGrant,
    IssueClientCredentialsGrant,
    IssuePasswordGrant,
    IssueRefreshGrant,
    ListAuditEntries,
    ListOrganizationContacts,
    ListOrganizations,
    ListUsers,
    RegisterCustomer,
    RevokeRefreshToken,
    RotateSigningKey,
    UpdateMyProfile,
    UpdateUser,
)
from identity_svc.domain.errors import (
    CannotChangeOwnAccount,
    FieldProblem,
    Forbidden,
    InsufficientScope,
    InvalidAuthorizationCode,
    InvalidAuthorizationRequest,
    InvalidClient,
    InvalidCredentials,
    InvalidInput,
    InvalidRefreshToken,
    NotAuthenticated,
    NotFound,
    OrganizationNameTaken,
    RefreshTokenReused,
)
from identity_svc.domain.events import RegistrationAttempted
from identity_svc.domain.model import Role
from identity_svc.domain.passwords import password_problems
from taquilla_runtime.cursors import InvalidCursor, decode_cursor, encode_cursor

Clock = Callable[[], dt.datetime]
JWKS_SIZE = 2  # the current key and the previous one
USERS_PAGE = (50, 100)  # default and largest page of ListUsers
ORGANIZATIONS_PAGE = (20, 50)  # default and largest answer of ListOrganizations
AUDIT_PAGE = (50, 200)  # default and largest page of ListAuditEntries


def system_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class TokenSettings:
    issuer: str
    audience: str


@dataclass(frozen=True)
class Grant:
    access_token: str
    expires_in: int
    refresh_token: str
    scope: frozenset[str]


@dataclass(frozen=True)
class ClientGrant(Grant):
    """An API client's grant: no refresh token, and the tier the edge rate-limits it by."""

    rate_limit_tier: str


@dataclass(frozen=True)
class NewApiClient:
    client_id: str
    client_secret: str  # shown once, at creation; only its hash is stored
    scopes: frozenset[str]
    rate_limit_tier: str


@dataclass(frozen=True)
class Contact:
    email: str
    full_name: str
    locale: str
    active: bool


@dataclass(frozen=True)
class MemberContact:
    """How to reach one member of an organization."""

    user_id: uuid.UUID
    email: str
    full_name: str
    locale: str


# The most organizers of one organization an internal caller is told about (by email).
ORGANIZATION_CONTACTS_LIMIT = 200


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# ---------------------------------------------------------------- accounts


async def register_customer(
    cmd: RegisterCustomer, uow: UnitOfWork, clock: Clock, *, hasher: PasswordHasher
) -> model.User | None:
    """Creates a customer account after checking the email, the name and the password policy.

    An address that already has an account creates nothing and returns None; its owner is told by
    e-mail instead (RegistrationAttempted through the outbox). The caller must answer both alike, so
    the password is hashed either way: neither the answer nor its time tells whether the address has
    an account.
    """
    problems: list[FieldProblem] = []
    email = model.normalize_email(cmd.email, problems)
    full_name = model.clean_text(cmd.full_name, field_name="full_name", max_length=200, problems=problems)
    problems += password_problems(cmd.password, email=email, full_name=full_name)
    if problems:
        raise InvalidInput(problems)
    now = clock()
    user = model.User(
        id=uuid.uuid4(),
        email=email,
        full_name=full_name,
        role=Role.CUSTOMER,
        password_hash=await hasher.hash(cmd.password),
        created_at=now,
    )
    async with uow:
        owner = await uow.users.by_email(email)
        if owner is not None:
            await uow.outbox.add([RegistrationAttempted(owner.id, now)], correlation_id=cmd.correlation_id)
            await _audit(uow, cmd.correlation_id, None, "user.register", f"user:{owner.id}", "email_taken")
            await uow.commit()
            return None
        await uow.users.add(user)
        await _audit(
            uow,
            cmd.correlation_id,
            Actor(user.id, ActorKind.USER, Role.CUSTOMER),
            "user.register",
            f"user:{user.id}",
            "success",
        )
        await uow.commit()
    return user


async def get_current_user(cmd: GetCurrentUser, uow: UnitOfWork) -> model.User:
    """The signed-in user's own account (never an API client's or a service's)."""
    if cmd.actor is None or cmd.actor.kind is not ActorKind.USER:
        raise NotAuthenticated("a user's access token is required")
    async with uow:
        user = await uow.users.get(cmd.actor.subject)
    if user is None or not user.active:
        raise NotFound("user not found")
    return user


async def update_my_profile(cmd: UpdateMyProfile, uow: UnitOfWork) -> model.User:
    """The signed-in user changes their own name; audited."""
    actor = _require_user(cmd.actor)
    problems: list[FieldProblem] = []
    full_name = (
        model.clean_text(cmd.full_name, field_name="full_name", max_length=200, problems=problems)
        if cmd.full_name is not None
        else None
    )
    if problems:
        raise InvalidInput(problems)
    async with uow:
        user = await uow.users.get(actor.subject, for_update=True)
        if user is None or not user.active:
            raise NotFound("user not found")
        if full_name is not None:
            user.full_name = full_name
        await uow.users.save(user)
        await _audit(uow, cmd.correlation_id, actor, "user.update_profile", f"user:{user.id}", "success")
        await uow.commit()
    return user


async def change_my_password(
    cmd: ChangeMyPassword, uow: UnitOfWork, clock: Clock, *, hasher: PasswordHasher
) -> None:
    """The signed-in user replaces their password after proving the current one.

    A wrong current password counts towards the sign-in lockout (the form must not be a way round it).
    The new password passes the sign-up policy. Every refresh-token family of the user but the
    caller's is revoked, so a stolen session elsewhere ends with the change.
    """
    actor = _require_user(cmd.actor)
    now = clock()
    async with uow:
        user = await uow.users.get(actor.subject, for_update=True)
        if user is None or not user.active:
            raise NotFound("user not found")
        password_ok = await hasher.verify(user.password_hash, cmd.current_password)
        if user.is_locked(now) or not password_ok:
            locked = user.is_locked(now)
            if not locked:
                user.record_failed_sign_in(now)
            await uow.users.save(user)
            await _audit(uow, cmd.correlation_id, actor, "user.change_password", f"user:{user.id}", "denied")
            await uow.commit()
            raise InvalidInput(
                [
                    FieldProblem("current_password", "too many failed attempts; try again later", "locked")
                    if locked
                    else FieldProblem("current_password", "is not your current password", "incorrect")
                ]
            )
        problems = [
            FieldProblem("new_password", problem.message, problem.code)
            for problem in password_problems(cmd.new_password, email=user.email, full_name=user.full_name)
        ]
        if problems:
            raise InvalidInput(problems)
        user.change_password(await hasher.hash(cmd.new_password))
        kept = await uow.refresh_tokens.by_hash(hash_token(cmd.refresh_token)) if cmd.refresh_token else None
        await uow.refresh_tokens.revoke_families_of(
            user.id, now, keep=kept.family_id if kept is not None and kept.user_id == user.id else None
        )
        await uow.users.save(user)
        await _audit(uow, cmd.correlation_id, actor, "user.change_password", f"user:{user.id}", "success")
        await uow.commit()


async def get_organization(cmd: GetOrganization, uow: UnitOfWork) -> model.Organization:
    """An organization by id, for anyone: its name is public (event pages name their organizer)."""
    async with uow:
        organization = await uow.organizations.get(cmd.organization_id)
    if organization is None:
        raise NotFound("organization not found")
    return organization


# ---------------------------------------------------------------- tokens


async def issue_password_grant(
    cmd: IssuePasswordGrant,
    uow: UnitOfWork,
    clock: Clock,
    *,
    hasher: PasswordHasher,
    keys: KeyRing,
    tokens: TokenSettings,
) -> Grant:
    """Signs a user in: an access token and a new refresh-token family.

    Every refusal looks the same to the caller (no account enumeration) and is audited; failures in
    a row lock the account for a while (see :meth:`User.record_failed_sign_in`).
    """
    now = clock()
    async with uow:
        user = await _check_password(
            uow, hasher, now, cmd.email, cmd.password, cmd.correlation_id, "password"
        )
        granted = model.granted_scopes(cmd.scope, model.default_scopes(user.role))
        user.record_sign_in(now)
        await uow.users.save(user)
        # A sign-in that asked for a scope keeps it for the family's life; one that asked for
        # nothing follows the role (a promotion shows at the next refresh).
        grant = await _issue_user_grant(
            uow, keys, tokens, now, user, granted, family_scope=granted if cmd.scope.split() else None
        )
        await _audit(
            uow,
            cmd.correlation_id,
            Actor(user.id, ActorKind.USER, user.role),
            "auth.password_grant",
            f"user:{user.id}",
            "success",
        )
        await uow.commit()
    return grant


async def issue_authorization_code(
    cmd: IssueAuthorizationCode,
    uow: UnitOfWork,
    clock: Clock,
    *,
    hasher: PasswordHasher,
    clients: Mapping[str, model.PublicClient],
) -> str:
    """The user signed in on the platform's sign-in page for a public client: a one-time code, valid
    60 seconds, bound to the client, the redirect URI and the PKCE challenge (RFC 6749 4.1, RFC 7636).

    The client, redirect URI and challenge are checked before the password; the password check is
    the password grant's (same refusals, audit and lockout). Only the code's hash is stored.
    """
    client = clients.get(cmd.client_id)
    if client is None:
        raise InvalidAuthorizationRequest("unauthorized_client", "unknown client")
    client.check_request(cmd.redirect_uri, cmd.code_challenge, cmd.code_challenge_method)
    now = clock()
    async with uow:
        user = await _check_password(
            uow, hasher, now, cmd.email, cmd.password, cmd.correlation_id, "authorization_code"
        )
        granted = model.granted_scopes(cmd.scope, model.default_scopes(user.role))
        user.record_sign_in(now)
        await uow.users.save(user)
        code = secrets.token_urlsafe(32)
        await uow.authorization_codes.add(
            model.AuthorizationCode(
                code_hash=hash_token(code),
                client_id=client.client_id,
                redirect_uri=cmd.redirect_uri,
                code_challenge=cmd.code_challenge,
                user_id=user.id,
                scope=granted if cmd.scope.split() else None,
                issued_at=now,
                expires_at=now + model.AUTHORIZATION_CODE_LIFETIME,
            )
        )
        await _audit(
            uow,
            cmd.correlation_id,
            Actor(user.id, ActorKind.USER, user.role),
            "auth.authorization_code",
            f"user:{user.id}",
            "success",
        )
        await uow.commit()
    return code


async def issue_authorization_code_grant(
    cmd: IssueAuthorizationCodeGrant, uow: UnitOfWork, clock: Clock, *, keys: KeyRing, tokens: TokenSettings
) -> Grant:
    """Exchanges a code for an access token and a new refresh-token family, once.

    The code is spent whatever happens next: a code presented with another client, redirect URI or
    verifier is not tried again (RFC 6749 4.1.2: a code is used at most once).
    """
    now = clock()
    async with uow:
        code = await uow.authorization_codes.redeem(hash_token(cmd.code), now)
        if code is None:
            raise InvalidAuthorizationCode("unknown, expired or used authorization code")
        if not code.redeemable_by(cmd.client_id, cmd.redirect_uri, cmd.code_verifier):
            await _audit(
                uow,
                cmd.correlation_id,
                None,
                "auth.authorization_code_grant",
                f"user:{code.user_id}",
                "denied",
            )
            await uow.commit()
            raise InvalidAuthorizationCode("the code was issued for another client, redirect URI or verifier")
        user = await uow.users.get(code.user_id)
        if user is None or not user.active:
            await uow.commit()
            raise InvalidAuthorizationCode("account unavailable")
        scope = model.refreshed_scopes(code.scope, user.role)
        grant = await _issue_user_grant(uow, keys, tokens, now, user, scope, family_scope=code.scope)
        await uow.commit()
    return grant


async def _check_password(
    uow: UnitOfWork,
    hasher: PasswordHasher,
    now: dt.datetime,
    email: str,
    password: str,
    correlation_id: str | None,
    grant: str,
) -> model.User:
    """The account whose password this is, if it may sign in; otherwise the refusal is audited and
    committed, and InvalidCredentials raised: the same for every reason, at the same cost."""
    action = f"auth.{grant}_grant" if grant == "password" else f"auth.{grant}"
    user = await uow.users.by_email(email.strip().lower(), for_update=True)
    if user is None:
        # Same cost as a real check: no account enumeration by timing.
        await hasher.verify_nothing(password)
        await _audit(uow, correlation_id, None, action, "user:unknown", "denied")
        await uow.commit()
        raise InvalidCredentials()
    # The password is checked even for a locked or inactive account, so a refusal costs the
    # same whatever the account's state (nothing to learn from the answer's timing).
    password_ok = await hasher.verify(user.password_hash, password)
    if not user.can_sign_in(now) or not password_ok:
        if user.active and not user.is_locked(now):
            user.record_failed_sign_in(now)
        await uow.users.save(user)
        await _audit(uow, correlation_id, None, action, f"user:{user.id}", "denied")
        await uow.commit()
        raise InvalidCredentials()
    return user


async def issue_refresh_grant(
    cmd: IssueRefreshGrant, uow: UnitOfWork, clock: Clock, *, keys: KeyRing, tokens: TokenSettings
) -> Grant:
    """Rotates a refresh token: the presented one is spent, a new one of the same family is issued.

    The new access token has the family's scope (what the sign-in asked for, bounded by the role the
    user has now), or less when the refresh asks for less; a refresh never widens it.

    A spent token presented again means it leaked: the whole family is revoked. A family lives at
    most REFRESH_TOKEN_LIFETIME from the sign-in that started it, however often it rotates: each new
    token keeps the family's deadline.
    """
    now = clock()
    async with uow:
        stored = await uow.refresh_tokens.by_hash(hash_token(cmd.refresh_token), for_update=True)
        if stored is None:
            raise InvalidRefreshToken("unknown refresh token")
        try:
            stored.check_usable(now)
        except RefreshTokenReused:
            # Someone replayed a spent token: the legitimate holder and the thief both lose the family.
            await uow.refresh_tokens.revoke_family(stored.family_id, now)
            await _audit(
                uow, cmd.correlation_id, None, "auth.refresh_token_reuse", f"user:{stored.user_id}", "denied"
            )
            await uow.commit()
            raise
        user = await uow.users.get(stored.user_id)
        if user is None or not user.active:
            await uow.refresh_tokens.revoke_family(stored.family_id, now)
            await uow.commit()
            raise InvalidRefreshToken("account unavailable")
        scope = model.refreshed_scopes(stored.scope, user.role, cmd.scope)
        await uow.refresh_tokens.mark_used(stored.id, now)
        grant = await _issue_user_grant(
            uow,
            keys,
            tokens,
            now,
            user,
            scope,
            family_id=stored.family_id,
            family_expires_at=stored.expires_at,
            family_scope=stored.scope,
        )
        await uow.commit()
    return grant


async def issue_client_credentials_grant(
    cmd: IssueClientCredentialsGrant,
    uow: UnitOfWork,
    clock: Clock,
    *,
    keys: KeyRing,
    tokens: TokenSettings,
) -> ClientGrant:
    """An access token for an API client that proved its secret; refusals are audited."""
    now = clock()
    async with uow:
        client = await uow.api_clients.by_client_id(cmd.client_id)
        presented = hash_token(cmd.client_secret)
        if client is None or not client.active or not hmac.compare_digest(client.secret_hash, presented):
            await _audit(
                uow,
                cmd.correlation_id,
                None,
                "auth.client_credentials_grant",
                f"client:{cmd.client_id[:64]}",
                "denied",
            )
            await uow.commit()
            raise InvalidClient("unknown client or wrong secret")
        granted = model.granted_scopes(cmd.scope, client.scopes)
        key = await _current_key(uow, keys, now)
        access = _access_token(
            keys,
            tokens,
            key,
            now,
            subject=client.id,
            kind=ActorKind.CLIENT,
            role=None,
            organization_id=client.organization_id,
            scope=granted,
            tier=client.rate_limit_tier,
        )
        await _audit(
            uow,
            cmd.correlation_id,
            Actor(client.id, ActorKind.CLIENT),
            "auth.client_credentials_grant",
            f"client:{client.client_id}",
            "success",
        )
        await uow.commit()
    return ClientGrant(
        access_token=access,
        expires_in=int(model.ACCESS_TOKEN_LIFETIME.total_seconds()),
        refresh_token="",
        scope=granted,
        rate_limit_tier=client.rate_limit_tier,
    )


async def revoke_refresh_token(cmd: RevokeRefreshToken, uow: UnitOfWork, clock: Clock) -> None:
    """A logout: revokes the token's family. Only the owner's (or an anonymous) logout revokes;
    anything else is a silent no-op, as RFC 7009 asks."""
    now = clock()
    async with uow:
        stored = await uow.refresh_tokens.by_hash(hash_token(cmd.refresh_token), for_update=True)
        if stored is None or (cmd.actor is not None and cmd.actor.subject != stored.user_id):
            return
        await uow.refresh_tokens.revoke_family(stored.family_id, now)
        await _audit(uow, cmd.correlation_id, cmd.actor, "auth.logout", f"user:{stored.user_id}", "success")
        await uow.commit()


async def get_jwks(cmd: GetJwks, uow: UnitOfWork, clock: Clock, *, keys: KeyRing) -> list[PublicKey]:
    """The public keys that verify access tokens: the current one and the previous one.

    The very first call creates the first key, so a fresh installation can sign at once.
    """
    async with uow:
        newest = list(await uow.signing_keys.newest(JWKS_SIZE))
        if not newest:
            newest = [await _current_key(uow, keys, clock())]
            await uow.commit()
    return [keys.jwk(key) for key in newest]


async def rotate_signing_key(cmd: RotateSigningKey, uow: UnitOfWork, clock: Clock, *, keys: KeyRing) -> str:
    """Administrators only: new tokens are signed with a new key; the previous one still verifies.

    Returns the new key's id.
    """
    async with uow:
        try:
            admin = _require_admin(cmd.actor)
        except Forbidden:
            await _audit(uow, cmd.correlation_id, cmd.actor, "signing_key.rotate", "signing_keys", "denied")
            await uow.commit()
            raise
        key = keys.new_key(clock())
        await uow.signing_keys.add(key)
        await _audit(
            uow, cmd.correlation_id, admin, "signing_key.rotate", f"signing_key:{key.kid}", "success"
        )
        await uow.commit()
    return key.kid


# ---------------------------------------------------------------- administration


async def list_users(cmd: ListUsers, uow: UnitOfWork) -> tuple[Sequence[model.User], str]:
    """Administrators only: a page of users by email, and the token of the next page ("" at the end)."""
    _require_admin(cmd.actor)
    limit = _page_size(cmd.page_size, *USERS_PAGE)
    after = _uncursor(cmd.page_token)
    async with uow:
        rows = await uow.users.page(
            role=cmd.role,
            email_contains=cmd.email_contains.strip().lower(),
            after_email=after,
            limit=limit + 1,
        )
    page = list(rows[:limit])
    return page, (_cursor(page[-1].email) if len(rows) > limit else "")


async def list_organizations(cmd: ListOrganizations, uow: UnitOfWork) -> Sequence[model.Organization]:
    """Administrators only: organizations whose name contains a text, by name, to pick one by name."""
    _require_admin(cmd.actor)
    limit = _page_size(cmd.page_size, *ORGANIZATIONS_PAGE)
    async with uow:
        return await uow.organizations.search(name_contains=cmd.name_contains.strip().lower(), limit=limit)


async def update_user(cmd: UpdateUser, uow: UnitOfWork) -> model.User:
    """Administrators only: changes a user's role, organization or active flag; refusals are audited.

    An administrator cannot demote or deactivate themselves (someone must stay in charge).
    """
    async with uow:
        try:
            admin = _require_admin(cmd.actor)
        except Forbidden:
            await _audit(uow, cmd.correlation_id, cmd.actor, "user.update", f"user:{cmd.user_id}", "denied")
            await uow.commit()
            raise
        user = await uow.users.get(cmd.user_id, for_update=True)
        if user is None:
            raise NotFound("user not found")
        if admin.subject == user.id and (
            cmd.active is False or (cmd.role is not None and cmd.role is not Role.ADMIN)
        ):
            raise CannotChangeOwnAccount("administrators cannot demote or deactivate their own account")
        if (
            cmd.set_organization
            and cmd.organization_id is not None
            and await uow.organizations.get(cmd.organization_id) is None
        ):
            raise InvalidInput([FieldProblem("organization_id", "no such organization", "not_found")])
        user.change(
            role=cmd.role,
            active=cmd.active,
            set_organization=cmd.set_organization,
            organization_id=cmd.organization_id,
        )
        await uow.users.save(user)
        await _audit(uow, cmd.correlation_id, admin, "user.update", f"user:{user.id}", "success")
        await uow.commit()
    return user


async def create_organization(cmd: CreateOrganization, uow: UnitOfWork, clock: Clock) -> model.Organization:
    """Administrators only: a new organization with a name no live organization has."""
    problems: list[FieldProblem] = []
    name = model.clean_text(cmd.name, field_name="name", max_length=200, problems=problems)
    async with uow:
        admin = _require_admin(cmd.actor)
        if problems:
            raise InvalidInput(problems)
        if await uow.organizations.name_taken(name):
            raise OrganizationNameTaken("an organization with this name already exists")
        organization = model.Organization(id=uuid.uuid4(), name=name, created_at=clock())
        await uow.organizations.add(organization)
        await _audit(
            uow,
            cmd.correlation_id,
            admin,
            "organization.create",
            f"organization:{organization.id}",
            "success",
        )
        await uow.commit()
    return organization


async def create_api_client(cmd: CreateApiClient, uow: UnitOfWork) -> NewApiClient:
    """Administrators only: a new API client; its secret is returned once and stored only hashed."""
    problems: list[FieldProblem] = []
    name = model.clean_text(cmd.name, field_name="name", max_length=200, problems=problems)
    wanted = frozenset(cmd.scopes)
    if not wanted:
        problems.append(FieldProblem("scopes", "must name at least one scope", "required"))
    elif unknown := wanted - model.KNOWN_SCOPES:
        problems.append(
            FieldProblem("scopes", f"unknown scopes: {', '.join(sorted(unknown))}", "invalid_choice")
        )
    tier = cmd.rate_limit_tier or "standard"
    if tier not in model.RATE_LIMIT_TIERS:
        problems.append(
            FieldProblem(
                "rate_limit_tier",
                f"must be one of {', '.join(sorted(model.RATE_LIMIT_TIERS))}",
                "invalid_choice",
            )
        )
    async with uow:
        admin = _require_admin(cmd.actor)
        if cmd.organization_id is not None and await uow.organizations.get(cmd.organization_id) is None:
            problems.append(FieldProblem("organization_id", "no such organization", "not_found"))
        if problems:
            raise InvalidInput(problems)
        secret = secrets.token_urlsafe(32)
        client = model.ApiClient(
            id=uuid.uuid4(),
            client_id=f"tq_{secrets.token_hex(12)}",
            name=name,
            secret_hash=hash_token(secret),
            scopes=wanted,
            rate_limit_tier=tier,
            organization_id=cmd.organization_id,
        )
        await uow.api_clients.add(client)
        await _audit(
            uow, cmd.correlation_id, admin, "api_client.create", f"client:{client.client_id}", "success"
        )
        await uow.commit()
    return NewApiClient(client.client_id, secret, wanted, tier)


async def list_audit_entries(cmd: ListAuditEntries, uow: UnitOfWork) -> tuple[Sequence[AuditRecord], str]:
    """Administrators only: a page of the audit log, newest first, and the token of the next page."""
    _require_admin(cmd.actor)
    limit = _page_size(cmd.page_size, *AUDIT_PAGE)
    before = _uncursor(cmd.page_token)
    if before is not None and not before.isdigit():
        raise InvalidInput([FieldProblem("cursor", "is not a cursor this API issued", "invalid_format")])
    async with uow:
        rows = await uow.audit.page(
            before_id=int(before) if before else None, action_prefix=cmd.action_prefix, limit=limit + 1
        )
    page = list(rows[:limit])
    return page, (_cursor(str(page[-1].id)) if len(rows) > limit else "")


async def get_user_contact(cmd: GetUserContact, uow: UnitOfWork) -> Contact:
    """Internal: how to reach a user. Only other services may ask (never users or API clients)."""
    if cmd.actor is None or not cmd.actor.is_service:
        raise Forbidden("internal callers only")
    async with uow:
        user = await uow.users.get(cmd.user_id)
    if user is None:
        raise NotFound("user not found")
    return Contact(email=user.email, full_name=user.full_name, locale="es", active=user.active)


async def list_organization_contacts(cmd: ListOrganizationContacts, uow: UnitOfWork) -> list[MemberContact]:
    """Internal: how to reach the active organizers of an organization (at most
    ``ORGANIZATION_CONTACTS_LIMIT``, by email), for notices meant for the organization. Only other
    services may ask. An unknown organization, or one without organizers, has none."""
    if cmd.actor is None or not cmd.actor.is_service:
        raise Forbidden("internal callers only")
    async with uow:
        members = await uow.users.active_in_organization(
            cmd.organization_id, role=Role.ORGANIZER, limit=ORGANIZATION_CONTACTS_LIMIT
        )
    return [MemberContact(user.id, user.email, user.full_name, "es") for user in members]


# ---------------------------------------------------------------- shared steps


async def _audit(
    uow: UnitOfWork,
    correlation_id: str | None,
    actor: Actor | None,
    action: str,
    target: str,
    outcome: str,
) -> None:
    await uow.audit.append(
        actor=str(actor.subject) if actor else "anonymous",
        action=action,
        target=target,
        correlation_id=correlation_id or "",
        outcome=outcome,
        actor_kind=actor.kind.value if actor else None,
        actor_role=actor.role.value if actor and actor.role else None,
        organization_id=actor.organization_id if actor else None,
    )


def _require_user(actor: Actor | None) -> Actor:
    if actor is None or actor.kind is not ActorKind.USER:
        raise NotAuthenticated("a user's access token is required")
    return actor


def _require_admin(actor: Actor | None) -> Actor:
    if actor is None:
        raise NotAuthenticated("sign in first")
    if not actor.is_admin:
        raise Forbidden("administrators only")
    if actor.scopes is not None and model.ADMIN_SCOPE not in actor.scopes:
        raise InsufficientScope(model.ADMIN_SCOPE)
    return actor


async def _current_key(uow: UnitOfWork, keys: KeyRing, now: dt.datetime) -> SigningKey:
    newest = await uow.signing_keys.newest(1)
    if newest:
        return newest[0]
    key = keys.new_key(now)
    await uow.signing_keys.add(key)
    return key


def _access_token(
    keys: KeyRing,
    tokens: TokenSettings,
    key: SigningKey,
    now: dt.datetime,
    *,
    subject: uuid.UUID,
    kind: ActorKind,
    role: Role | None,
    organization_id: uuid.UUID | None,
    scope: frozenset[str],
    tier: str | None = None,
) -> str:
    claims = {
        "iss": tokens.issuer,
        "aud": tokens.audience,
        "sub": str(subject),
        "iat": int(now.timestamp()),
        "nbf": int(now.timestamp()),
        "exp": int((now + model.ACCESS_TOKEN_LIFETIME).timestamp()),
        "jti": str(uuid.uuid4()),
        "kind": kind.value,
        "role": role.value if role else None,
        "org": str(organization_id) if organization_id else None,
        "scope": " ".join(sorted(scope)),
    }
    if tier:
        claims["tier"] = tier  # the edge rate-limits API clients by tier without asking us
    return keys.sign(key, claims)


async def _issue_user_grant(
    uow: UnitOfWork,
    keys: KeyRing,
    tokens: TokenSettings,
    now: dt.datetime,
    user: model.User,
    scope: frozenset[str],
    family_id: uuid.UUID | None = None,
    family_expires_at: dt.datetime | None = None,
    family_scope: frozenset[str] | None = None,
) -> Grant:
    """Stores a new refresh token (of a new family unless given, expiring with its family and keeping
    its scope) and signs an access token."""
    key = await _current_key(uow, keys, now)
    refresh = secrets.token_urlsafe(32)
    await uow.refresh_tokens.add(
        model.RefreshToken(
            id=uuid.uuid4(),
            family_id=family_id or uuid.uuid4(),
            user_id=user.id,
            token_hash=hash_token(refresh),
            issued_at=now,
            expires_at=family_expires_at or now + model.REFRESH_TOKEN_LIFETIME,
            scope=family_scope,
        )
    )
    access = _access_token(
        keys,
        tokens,
        key,
        now,
        subject=user.id,
        kind=ActorKind.USER,
        role=user.role,
        organization_id=user.organization_id,
        scope=scope,
    )
    return Grant(access, int(model.ACCESS_TOKEN_LIFETIME.total_seconds()), refresh, scope)


def _cursor(value: str) -> str:
    return encode_cursor(value)


def _uncursor(token: str) -> str | None:
    if not token:
        return None
    try:
        value = decode_cursor(token)
    except InvalidCursor:
        raise InvalidInput(
            [FieldProblem("cursor", "is not a cursor this API issued", "invalid_format")]
        ) from None
    if not isinstance(value, str | int):
        raise InvalidInput([FieldProblem("cursor", "is not a cursor this API issued", "invalid_format")])
    return str(value)


def _page_size(requested: int, default: int, maximum: int) -> int:
    if requested < 0 or requested > maximum:
        raise InvalidInput([FieldProblem("limit", f"must be between 1 and {maximum}", "out_of_range")])
    return requested or default
