"""Identity use cases. Each runs in one unit of work and commits explicitly; audit rows share it."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from identity_svc.application.ports import (
    AuditRecord,
    KeyRing,
    PasswordHasher,
    SigningKey,
    UnitOfWork,
    UnitOfWorkFactory,
)
from identity_svc.domain import model
from identity_svc.domain.errors import (
    EmailTaken,
    FieldProblem,
    Forbidden,
    InvalidClient,
    InvalidCredentials,
    InvalidInput,
    InvalidRefreshToken,
    NotAuthenticated,
    NotFound,
    OrganizationNameTaken,
    RefreshTokenReused,
)
from identity_svc.domain.passwords import password_problems
from taquilla_runtime.correlation import get_correlation_id
from taquilla_runtime.principal import Principal, PrincipalKind, Role

JWKS_SIZE = 2  # the current key and the previous one


@dataclass(frozen=True)
class TokenSettings:
    issuer: str
    audience: str


@dataclass(frozen=True)
class Deps:
    uow: UnitOfWorkFactory
    hasher: PasswordHasher
    keys: KeyRing
    tokens: TokenSettings


@dataclass(frozen=True)
class Grant:
    access_token: str
    expires_in: int
    refresh_token: str
    scope: frozenset[str]


@dataclass(frozen=True)
class NewApiClient:
    client_id: str
    client_secret: str
    scopes: frozenset[str]
    rate_limit_tier: str


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _actor(principal: Principal | None) -> str:
    return str(principal.subject) if principal else "anonymous"


async def _audit(
    uow: UnitOfWork, principal: Principal | None, action: str, target: str, outcome: str
) -> None:
    await uow.audit.append(
        actor=_actor(principal),
        action=action,
        target=target,
        correlation_id=get_correlation_id() or "",
        outcome=outcome,
    )


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _require_admin(principal: Principal | None) -> Principal:
    if principal is None:
        raise NotAuthenticated("sign in first")
    if not principal.is_admin:
        raise Forbidden("administrators only")
    return principal


# ------------------------------------------------------------------------------------------ accounts
async def register_customer(deps: Deps, *, email: str, password: str, full_name: str) -> model.User:
    problems: list[FieldProblem] = []
    email = model.normalize_email(email, problems)
    full_name = model.clean_text(full_name, field_name="full_name", max_length=200, problems=problems)
    problems += [
        FieldProblem("password", p) for p in password_problems(password, email=email, full_name=full_name)
    ]
    if problems:
        raise InvalidInput(problems)
    user = model.User(
        id=uuid.uuid4(),
        email=email,
        full_name=full_name,
        role=Role.CUSTOMER,
        password_hash=deps.hasher.hash(password),
    )
    async with deps.uow() as uow:
        if await uow.users.by_email(email) is not None:
            raise EmailTaken("an account with this email already exists")
        await uow.users.add(user)
        await _audit(
            uow,
            Principal(user.id, PrincipalKind.USER, Role.CUSTOMER),
            "user.register",
            f"user:{user.id}",
            "success",
        )
        await uow.commit()
    return user


async def current_user(deps: Deps, principal: Principal | None) -> model.User:
    if principal is None or principal.kind is not PrincipalKind.USER:
        raise NotAuthenticated("a user's access token is required")
    async with deps.uow() as uow:
        user = await uow.users.get(principal.subject)
    if user is None or not user.active:
        raise NotFound("user not found")
    return user


# ------------------------------------------------------------------------------------------- tokens
async def _current_key(uow: UnitOfWork, keys: KeyRing) -> SigningKey:
    newest = await uow.signing_keys.newest(1)
    if newest:
        return newest[0]
    key = keys.new_key()
    await uow.signing_keys.add(key)
    return key


def _access_token(
    deps: Deps,
    key: SigningKey,
    *,
    subject: uuid.UUID,
    kind: PrincipalKind,
    role: Role | None,
    organization_id: uuid.UUID | None,
    scope: frozenset[str],
    tier: str | None = None,
) -> str:
    now = _now()
    claims = {
        "iss": deps.tokens.issuer,
        "aud": deps.tokens.audience,
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
    return deps.keys.sign(key, claims)


async def _issue_user_grant(
    deps: Deps, uow: UnitOfWork, user: model.User, scope: frozenset[str], family_id: uuid.UUID | None = None
) -> Grant:
    key = await _current_key(uow, deps.keys)
    refresh = secrets.token_urlsafe(32)
    now = _now()
    await uow.refresh_tokens.add(
        model.RefreshToken(
            id=uuid.uuid4(),
            family_id=family_id or uuid.uuid4(),
            user_id=user.id,
            token_hash=hash_token(refresh),
            issued_at=now,
            expires_at=now + model.REFRESH_TOKEN_LIFETIME,
        )
    )
    access = _access_token(
        deps,
        key,
        subject=user.id,
        kind=PrincipalKind.USER,
        role=user.role,
        organization_id=user.organization_id,
        scope=scope,
    )
    return Grant(access, int(model.ACCESS_TOKEN_LIFETIME.total_seconds()), refresh, scope)


async def password_grant(deps: Deps, *, email: str, password: str, scope: str) -> Grant:
    now = _now()
    async with deps.uow() as uow:
        user = await uow.users.by_email(email.strip().lower(), for_update=True)
        if user is None:
            deps.hasher.verify_nothing(
                password
            )  # same cost as a real check: no account enumeration by timing
            await _audit(uow, None, "auth.password_grant", "user:unknown", "denied")
            await uow.commit()
            raise InvalidCredentials()
        if not user.can_sign_in(now) or not deps.hasher.verify(user.password_hash, password):
            if user.active and not user.is_locked(now):
                user.record_failed_sign_in(now)
            await uow.users.save(user)
            await _audit(uow, None, "auth.password_grant", f"user:{user.id}", "denied")
            await uow.commit()
            raise InvalidCredentials()
        granted = model.granted_scopes(scope, model.default_scopes(user.role))
        user.record_sign_in(now)
        await uow.users.save(user)
        grant = await _issue_user_grant(deps, uow, user, granted)
        await _audit(
            uow,
            Principal(user.id, PrincipalKind.USER, user.role),
            "auth.password_grant",
            f"user:{user.id}",
            "success",
        )
        await uow.commit()
    return grant


async def refresh_grant(deps: Deps, *, refresh_token: str) -> Grant:
    now = _now()
    async with deps.uow() as uow:
        stored = await uow.refresh_tokens.by_hash(hash_token(refresh_token), for_update=True)
        if stored is None:
            raise InvalidRefreshToken("unknown refresh token")
        try:
            stored.check_usable(now)
        except RefreshTokenReused:
            # Someone replayed a spent token: the legitimate holder and the thief both lose the family.
            await uow.refresh_tokens.revoke_family(stored.family_id, now)
            await _audit(uow, None, "auth.refresh_token_reuse", f"user:{stored.user_id}", "denied")
            await uow.commit()
            raise
        user = await uow.users.get(stored.user_id)
        if user is None or not user.active:
            await uow.refresh_tokens.revoke_family(stored.family_id, now)
            await uow.commit()
            raise InvalidRefreshToken("account unavailable")
        await uow.refresh_tokens.mark_used(stored.id, now)
        grant = await _issue_user_grant(
            deps, uow, user, model.default_scopes(user.role), family_id=stored.family_id
        )
        await uow.commit()
    return grant


async def client_credentials_grant(
    deps: Deps, *, client_id: str, client_secret: str, scope: str
) -> tuple[Grant, str]:
    async with deps.uow() as uow:
        client = await uow.api_clients.by_client_id(client_id)
        presented = hash_token(client_secret)
        if client is None or not client.active or not hmac.compare_digest(client.secret_hash, presented):
            await _audit(uow, None, "auth.client_credentials_grant", f"client:{client_id[:64]}", "denied")
            await uow.commit()
            raise InvalidClient("unknown client or wrong secret")
        granted = model.granted_scopes(scope, client.scopes)
        key = await _current_key(uow, deps.keys)
        access = _access_token(
            deps,
            key,
            subject=client.id,
            kind=PrincipalKind.CLIENT,
            role=None,
            organization_id=client.organization_id,
            scope=granted,
            tier=client.rate_limit_tier,
        )
        await _audit(
            uow,
            Principal(client.id, PrincipalKind.CLIENT),
            "auth.client_credentials_grant",
            f"client:{client.client_id}",
            "success",
        )
        await uow.commit()
    return Grant(
        access, int(model.ACCESS_TOKEN_LIFETIME.total_seconds()), "", granted
    ), client.rate_limit_tier


async def revoke_refresh_token(deps: Deps, principal: Principal | None, *, refresh_token: str) -> None:
    async with deps.uow() as uow:
        stored = await uow.refresh_tokens.by_hash(hash_token(refresh_token), for_update=True)
        # Only the owner's logout revokes; anything else is a silent no-op (RFC 7009 semantics).
        if stored is not None and (principal is None or principal.subject == stored.user_id):
            await uow.refresh_tokens.revoke_family(stored.family_id, _now())
            await _audit(uow, principal, "auth.logout", f"user:{stored.user_id}", "success")
            await uow.commit()


async def jwks(deps: Deps) -> list[dict[str, str]]:
    async with deps.uow() as uow:
        keys = list(await uow.signing_keys.newest(JWKS_SIZE))
        if not keys:
            keys = [await _current_key(uow, deps.keys)]
            await uow.commit()
    return [deps.keys.jwk(key) for key in keys]


async def rotate_signing_key(deps: Deps, principal: Principal | None) -> str:
    async with deps.uow() as uow:
        try:
            admin = _require_admin(principal)
        except Forbidden:
            await _audit(uow, principal, "signing_key.rotate", "signing_keys", "denied")
            await uow.commit()
            raise
        key = deps.keys.new_key()
        await uow.signing_keys.add(key)
        await _audit(uow, admin, "signing_key.rotate", f"signing_key:{key.kid}", "success")
        await uow.commit()
    return key.kid


# -------------------------------------------------------------------------------------------- admin
def _cursor(value: str) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def _uncursor(token: str) -> str | None:
    if not token:
        return None
    try:
        value = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except ValueError:
        raise InvalidInput([FieldProblem("cursor", "is not a cursor this API issued")]) from None
    if not isinstance(value, str | int):
        raise InvalidInput([FieldProblem("cursor", "is not a cursor this API issued")])
    return str(value)


def _page_size(requested: int, default: int, maximum: int) -> int:
    if requested < 0 or requested > maximum:
        raise InvalidInput([FieldProblem("limit", f"must be between 1 and {maximum}")])
    return requested or default


async def list_users(
    deps: Deps,
    principal: Principal | None,
    *,
    role: Role | None,
    email_contains: str,
    page_size: int,
    page_token: str,
) -> tuple[Sequence[model.User], str]:
    _require_admin(principal)
    limit = _page_size(page_size, 50, 100)
    after = _uncursor(page_token)
    async with deps.uow() as uow:
        rows = await uow.users.page(
            role=role, email_contains=email_contains.strip().lower(), after_email=after, limit=limit + 1
        )
    page = list(rows[:limit])
    return page, (_cursor(page[-1].email) if len(rows) > limit else "")


async def update_user(
    deps: Deps,
    principal: Principal | None,
    *,
    user_id: uuid.UUID,
    role: Role | None,
    active: bool | None,
    set_organization: bool,
    organization_id: uuid.UUID | None,
) -> model.User:
    async with deps.uow() as uow:
        try:
            admin = _require_admin(principal)
        except Forbidden:
            await _audit(uow, principal, "user.update", f"user:{user_id}", "denied")
            await uow.commit()
            raise
        user = await uow.users.get(user_id, for_update=True)
        if user is None:
            raise NotFound("user not found")
        if admin.subject == user.id and (active is False or (role is not None and role is not Role.ADMIN)):
            raise InvalidInput(
                [FieldProblem("role", "administrators cannot demote or deactivate themselves")]
            )
        if (
            set_organization
            and organization_id is not None
            and await uow.organizations.get(organization_id) is None
        ):
            raise InvalidInput([FieldProblem("organization_id", "no such organization")])
        user.change(
            role=role, active=active, set_organization=set_organization, organization_id=organization_id
        )
        await uow.users.save(user)
        await _audit(uow, admin, "user.update", f"user:{user.id}", "success")
        await uow.commit()
    return user


async def create_organization(deps: Deps, principal: Principal | None, *, name: str) -> model.Organization:
    problems: list[FieldProblem] = []
    name = model.clean_text(name, field_name="name", max_length=200, problems=problems)
    async with deps.uow() as uow:
        admin = _require_admin(principal)
        if problems:
            raise InvalidInput(problems)
        if await uow.organizations.name_taken(name):
            raise OrganizationNameTaken("an organization with this name already exists")
        organization = model.Organization(id=uuid.uuid4(), name=name, created_at=_now())
        await uow.organizations.add(organization)
        await _audit(uow, admin, "organization.create", f"organization:{organization.id}", "success")
        await uow.commit()
    return organization


async def create_api_client(
    deps: Deps,
    principal: Principal | None,
    *,
    name: str,
    scopes: Sequence[str],
    rate_limit_tier: str,
    organization_id: uuid.UUID | None,
) -> NewApiClient:
    problems: list[FieldProblem] = []
    name = model.clean_text(name, field_name="name", max_length=200, problems=problems)
    wanted = frozenset(scopes)
    if not wanted:
        problems.append(FieldProblem("scopes", "must name at least one scope"))
    elif unknown := wanted - model.KNOWN_SCOPES:
        problems.append(FieldProblem("scopes", f"unknown scopes: {', '.join(sorted(unknown))}"))
    tier = rate_limit_tier or "standard"
    if tier not in model.RATE_LIMIT_TIERS:
        problems.append(
            FieldProblem("rate_limit_tier", f"must be one of {', '.join(sorted(model.RATE_LIMIT_TIERS))}")
        )
    async with deps.uow() as uow:
        admin = _require_admin(principal)
        if organization_id is not None and await uow.organizations.get(organization_id) is None:
            problems.append(FieldProblem("organization_id", "no such organization"))
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
            organization_id=organization_id,
        )
        await uow.api_clients.add(client)
        await _audit(uow, admin, "api_client.create", f"client:{client.client_id}", "success")
        await uow.commit()
    return NewApiClient(client.client_id, secret, wanted, tier)


async def list_audit(
    deps: Deps, principal: Principal | None, *, page_size: int, page_token: str, action_prefix: str
) -> tuple[Sequence[AuditRecord], str]:
    _require_admin(principal)
    limit = _page_size(page_size, 50, 200)
    before = _uncursor(page_token)
    if before is not None and not before.isdigit():
        raise InvalidInput([FieldProblem("cursor", "is not a cursor this API issued")])
    async with deps.uow() as uow:
        rows = await uow.audit.page(
            before_id=int(before) if before else None, action_prefix=action_prefix, limit=limit + 1
        )
    page = list(rows[:limit])
    return page, (_cursor(str(page[-1].id)) if len(rows) > limit else "")


@dataclass(frozen=True)
class Contact:
    email: str
    full_name: str
    locale: str
    active: bool


async def user_contact(deps: Deps, principal: Principal | None, *, user_id: uuid.UUID) -> Contact:
    """Internal: how to reach a user. Only other services may ask (never users or API clients)."""
    if principal is None or not principal.is_service:
        raise Forbidden("internal callers only")
    async with deps.uow() as uow:
        user = await uow.users.get(user_id)
    if user is None:
        raise NotFound("user not found")
    return Contact(email=user.email, full_name=user.full_name, locale="es", active=user.active)
