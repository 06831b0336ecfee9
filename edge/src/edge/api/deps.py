"""Dependencies routes declare with `Annotated` aliases; built once in the app's lifespan.

They are ``async def`` although they never await: FastAPI runs a plain ``def`` dependency in a
worker thread, a hop per dependency per request that costs more than the functions themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.openapi.models import (
    OAuthFlowAuthorizationCode,
    OAuthFlowClientCredentials,
    OAuthFlowPassword,
    OAuthFlows,
)
from fastapi.security import OAuth2, SecurityScopes
from redis.asyncio import Redis

from edge.api.idempotency import RunningKeys
from edge.cache.availability import AvailabilityCache
from edge.cache.store import CatalogCache
from edge.clients.audit import AuditClient
from edge.clients.channels import ServiceChannels
from edge.clients.events import EventsClient
from edge.clients.health import HealthClient
from edge.clients.identity import IdentityClient
from edge.clients.notifications import NotificationsClient
from edge.clients.ticketing import TicketingClient
from edge.clients.webhooks import WebhooksClient
from edge.config import EdgeSettings
from edge.errors import Problem
from edge.security.middleware import AuthOutcome, Guard
from edge.security.tokens import JwksCache, VerifiedToken
from taquilla_runtime import scopes
from taquilla_runtime.principal import Principal
from taquilla_runtime.scopes import INSUFFICIENT_SCOPE, lacks_scope


@dataclass
class EdgeState:
    settings: EdgeSettings
    channels: ServiceChannels
    redis: Redis
    health_clients: list[HealthClient]
    identity: IdentityClient
    audit: AuditClient
    events: EventsClient
    notifications: NotificationsClient
    ticketing: TicketingClient
    webhooks: WebhooksClient
    availability: AvailabilityCache
    jwks: JwksCache
    guard: Guard
    cache: CatalogCache
    running_keys: RunningKeys


async def get_state(request: Request) -> EdgeState:
    state: EdgeState = request.app.state.edge
    return state


State = Annotated[EdgeState, Depends(get_state)]


async def events_client(state: State) -> EventsClient:
    return state.events


Events = Annotated[EventsClient, Depends(events_client)]


async def ticketing_client(state: State) -> TicketingClient:
    return state.ticketing


Ticketing = Annotated[TicketingClient, Depends(ticketing_client)]


async def running_keys(state: State) -> RunningKeys:
    return state.running_keys


RunningIdempotencyKeys = Annotated[RunningKeys, Depends(running_keys)]

SCOPES = {
    scopes.EVENTS_READ: "Read events as their organizer or a partner (drafts of one's own)",
    scopes.EVENTS_WRITE: "Create, change, publish and cancel events and their sessions",
    scopes.TICKETS_READ: "Read reservations, orders, tickets, transfers and waiting lists",
    scopes.TICKETS_WRITE: "Reserve, buy, refund and transfer tickets; join waiting lists",
    scopes.CHECKIN: "Check tickets in at the door",
    scopes.ADMIN: "Administer users, organizations, API clients, keys and notifications",
}
# Declares the OAuth 2.0 flows in the OpenAPI document (Swagger's Authorize button), with the scopes
# each route needs (its `security` requirement); the token itself is verified by the middleware
# before any route runs. The password flow is there for development (Swagger's Authorize) only.
oauth2_scheme = OAuth2(
    flows=OAuthFlows(
        authorizationCode=OAuthFlowAuthorizationCode(
            authorizationUrl="/login", tokenUrl="/api/v1/auth/token", scopes=SCOPES
        ),
        clientCredentials=OAuthFlowClientCredentials(tokenUrl="/api/v1/auth/token", scopes=SCOPES),
        password=OAuthFlowPassword(tokenUrl="/api/v1/auth/token", scopes=SCOPES),
    ),
    scheme_name="OAuth2",
    description="Users sign in with the authorization code flow and PKCE (S256) on the web app's "
    "sign-in page; partners use client credentials. The password flow is for development and tests "
    "only: production refuses it unless EDGE_PASSWORD_GRANT_ENABLED is set.",
    auto_error=False,
)


def _unauthorized(description: str) -> Problem:
    challenge = f'Bearer realm="taquilla", error="invalid_token", error_description="{description}"'
    return Problem(401, description, headers={"WWW-Authenticate": challenge})


def _outcome(request: Request) -> AuthOutcome:
    outcome = getattr(request.state, "auth", None)
    return outcome if isinstance(outcome, AuthOutcome) else AuthOutcome()


async def verified_token(
    request: Request, _: Annotated[str | None, Depends(oauth2_scheme)]
) -> VerifiedToken | None:
    outcome = _outcome(request)
    if outcome.rejected:
        raise _unauthorized(outcome.rejected)
    return outcome.token


async def optional_principal(
    token: Annotated[VerifiedToken | None, Depends(verified_token)],
) -> Principal | None:
    return token.principal if token else None


async def required_token(token: Annotated[VerifiedToken | None, Depends(verified_token)]) -> VerifiedToken:
    if token is None:
        raise Problem(
            401,
            "Sign in first: send an access token as `Authorization: Bearer <token>`.",
            headers={"WWW-Authenticate": 'Bearer realm="taquilla"'},
        )
    return token


async def required_principal(token: Annotated[VerifiedToken, Depends(required_token)]) -> Principal:
    return token.principal


OptionalPrincipal = Annotated[Principal | None, Depends(optional_principal)]
CurrentPrincipal = Annotated[Principal, Depends(required_principal)]
CurrentToken = Annotated[VerifiedToken, Depends(required_token)]


def _insufficient_scope(required: list[str]) -> Problem:
    wanted = " ".join(required)
    challenge = f'Bearer realm="taquilla", error="insufficient_scope", scope="{wanted}"'
    return Problem(
        403,
        f"The access token's scope does not include `{wanted}`; ask for it when signing in.",
        slug=INSUFFICIENT_SCOPE,
        headers={"WWW-Authenticate": challenge},
        extensions={"required_scope": wanted},
    )


async def scoped_principal(security_scopes: SecurityScopes, principal: CurrentPrincipal) -> Principal:
    """The caller, whose token must hold every scope the route declares (RFC 6750 section 3.1)."""
    if any(lacks_scope(principal, scope) for scope in security_scopes.scopes):
        raise _insufficient_scope(security_scopes.scopes)
    return principal


async def optional_scoped_principal(
    security_scopes: SecurityScopes, principal: OptionalPrincipal
) -> Principal | None:
    """Anyone may call; a caller who sends a token must have the route's scopes in it."""
    if any(lacks_scope(principal, scope) for scope in security_scopes.scopes):
        raise _insufficient_scope(security_scopes.scopes)
    return principal


async def administrator(security_scopes: SecurityScopes, principal: CurrentPrincipal) -> Principal:
    """An administrator's token must hold the admin scope; anyone else goes on to identity_svc, which
    refuses them and audits the attempt."""
    if principal.is_admin and any(lacks_scope(principal, scope) for scope in security_scopes.scopes):
        raise _insufficient_scope(security_scopes.scopes)
    return principal


# One alias per scope a route may need; the services check the same scopes again on their side
# (taquilla_runtime.scopes.ScopeInterceptor).
EventReader = Annotated[Principal | None, Security(optional_scoped_principal, scopes=[scopes.EVENTS_READ])]
OrganizationReader = Annotated[Principal, Security(scoped_principal, scopes=[scopes.EVENTS_READ])]
EventWriter = Annotated[Principal, Security(scoped_principal, scopes=[scopes.EVENTS_WRITE])]
TicketReader = Annotated[Principal, Security(scoped_principal, scopes=[scopes.TICKETS_READ])]
TicketWriter = Annotated[Principal, Security(scoped_principal, scopes=[scopes.TICKETS_WRITE])]
DoorScanner = Annotated[Principal, Security(scoped_principal, scopes=[scopes.CHECKIN])]
Administrator = Annotated[Principal, Security(administrator, scopes=[scopes.ADMIN])]
