"""OAuth scopes: the vocabulary, and the interceptor with which a service requires one per RPC.

A token names what it may do in its ``scope`` claim; the edge checks it on every route and forwards
the scopes in the caller's :class:`~taquilla_runtime.principal.Principal`. Each service checks them
again (defence in depth: a call that reaches a service without going through the route that should
have checked it, or a route that forgot, still needs the scope). Services calling each other act on
their own behalf and need no scope; anonymous calls are left to the service, which knows which of its
calls anyone may make, except for the RPCs of no policy, which only a service may call.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

import grpc

from taquilla_runtime.grpc_errors import NamedProblem, abort_with_problem
from taquilla_runtime.principal import InvalidPrincipal, Principal, PrincipalKind

EVENTS_READ = "events:read"  # the catalog as an organizer or partner sees it (drafts of one's own)
EVENTS_WRITE = "events:write"  # create, change, publish, cancel events and their sessions
TICKETS_READ = "tickets:read"  # reservations, orders, tickets, transfers, waiting lists, refunds seen
TICKETS_WRITE = "tickets:write"  # reserve, buy, refund, transfer, join or leave a waiting list
CHECKIN = "checkin"  # scan tickets at the door and fetch what a door needs offline
ADMIN = "admin"  # the administration API (users, organizations, API clients, audit, keys, notifications)
ALL_SCOPES = frozenset({EVENTS_READ, EVENTS_WRITE, TICKETS_READ, TICKETS_WRITE, CHECKIN, ADMIN})
INSUFFICIENT_SCOPE = "insufficient-scope"  # the problem type (RFC 6750's insufficient_scope error)
PUBLIC = None  # an RPC anyone may call, or whose service decides alone (documented where it is mapped)

ScopePolicy = Mapping[str, str | None]  # RPC method name -> the scope it needs, or PUBLIC


def lacks_scope(principal: Principal | None, scope: str | None) -> bool:
    """Whether a caller is refused for want of ``scope``: a user's or API client's token without it."""
    return (
        scope is not None
        and principal is not None
        and principal.kind is not PrincipalKind.SERVICE
        and scope not in principal.scopes
    )


def insufficient_scope(scope: str | None) -> NamedProblem:
    return NamedProblem(INSUFFICIENT_SCOPE, {"required_scope": scope} if scope else {})


class ScopeInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[misc]
    """Refuses with PERMISSION_DENIED (problem ``insufficient-scope``) a call whose caller's token
    lacks the scope the service's policy names for the RPC. An RPC missing from the policy is for
    services only: refused to every user and API client (a new RPC must be mapped before anyone
    outside may call it) with PERMISSION_DENIED, and to a call without a validly signed principal
    (anonymous, forged, expired: ADR 0021) with UNAUTHENTICATED."""

    def __init__(self, service: str, policy: ScopePolicy) -> None:
        self._prefix = f"/{service}/"
        self._policy = dict(policy)

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        full_method: str = handler_call_details.method
        if handler is None or handler.unary_unary is None or not full_method.startswith(self._prefix):
            return handler
        method = full_method.removeprefix(self._prefix)
        if method not in self._policy:
            return _for_services_only(handler, handler_call_details.invocation_metadata)
        try:
            principal = Principal.from_metadata(handler_call_details.invocation_metadata)
        except InvalidPrincipal:
            return handler  # the servicer refuses it, as it always has
        required = self._policy[method]
        if required is None or not lacks_scope(principal, required):
            return handler
        return _refusing(handler, f"The access token's scope does not include `{required}`.", required)


def _for_services_only(
    handler: grpc.RpcMethodHandler, metadata: Iterable[tuple[str, str | bytes]] | None
) -> grpc.RpcMethodHandler:
    try:
        principal = Principal.from_metadata(metadata)
    except InvalidPrincipal:  # unsigned, forged or expired: as good as none
        principal = None
    if principal is None:
        return _unauthenticated(handler)
    if principal.kind is PrincipalKind.SERVICE:
        return handler
    return _refusing(handler, "This call is not open to access tokens.", None)


def _unauthenticated(handler: grpc.RpcMethodHandler) -> grpc.RpcMethodHandler:
    async def refuse(request: Any, context: grpc.aio.ServicerContext) -> Any:
        await context.abort(grpc.StatusCode.UNAUTHENTICATED, "This call is for Taquilla's services only.")

    return grpc.unary_unary_rpc_method_handler(
        refuse,
        request_deserializer=handler.request_deserializer,
        response_serializer=handler.response_serializer,
    )


def _refusing(handler: grpc.RpcMethodHandler, detail: str, scope: str | None) -> grpc.RpcMethodHandler:
    async def refuse(request: Any, context: grpc.aio.ServicerContext) -> Any:
        denied = grpc.StatusCode.PERMISSION_DENIED
        await abort_with_problem(context, denied, detail, insufficient_scope(scope))

    return grpc.unary_unary_rpc_method_handler(
        refuse,
        request_deserializer=handler.request_deserializer,
        response_serializer=handler.response_serializer,
    )
