"""Dependencies routes declare with `Annotated` aliases; built once in the app's lifespan.

They are ``async def`` although they never await: FastAPI runs a plain ``def`` dependency in a
worker thread, a hop per dependency per request that costs more than the functions themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
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
from taquilla_runtime.principal import Principal


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

# Declares the OAuth2 password flow in the OpenAPI document (Swagger's Authorize button); the token
# itself is verified by the middleware before any route runs.
oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


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
