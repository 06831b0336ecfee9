"""The GraphQL schema (read-only) and its router at /graphql.

The router sits behind the same middleware as every REST route (edge.app): the bearer token is
verified and the caller's rate-limit bucket spent before a query is parsed, and a rejected token
answers 401 as on REST (the context is built from the same dependency, api.deps.OptionalPrincipal).
GraphiQL is served in development only; introspection stays on (the schema is public, committed as
edge/graphql/schema.graphql).
"""

from __future__ import annotations

import uuid
from typing import Annotated

import grpc
import strawberry
from fastapi import Request
from fastapi.routing import APIWebSocketRoute
from graphql import GraphQLError
from pydantic import ValidationError
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
)
from strawberry.fastapi import GraphQLRouter
from strawberry.types import ExecutionContext

from edge.api.deps import Events, OptionalPrincipal, Ticketing
from edge.api.schemas.listings import ListingQuery
from edge.config import EdgeSettings
from edge.errors import Problem
from edge.graphql.context import GraphQLContext
from edge.graphql.limits import (
    DEFAULT_FIRST,
    MAX_ALIASES,
    MAX_DEPTH,
    MAX_TOKENS,
    CostLimit,
    bad_input,
    bounded_first,
    masked,
    public_rpc_error,
    unauthenticated,
)
from edge.graphql.types import (
    Category,
    Event,
    EventConnection,
    EventOrder,
    GraphQLInfo,
    Order,
    OrderConnection,
    OrderStatus,
    PageInfo,
    Ticket,
    TicketConnection,
)
from taquilla_runtime.principal import Principal

MAX_CURSOR = 1024
# A query within the token limit with its variables fits many times over.
MAX_BODY = 64 * 1024


# REST's query parameters (ListingQuery's fields) by their names as `events` arguments.
_ARGUMENTS = {
    "limit": "first",
    "cursor": "after",
    "count": "withTotal",
    "date_from": "dateFrom",
    "date_to": "dateTo",
    "price_min": "priceMin",
    "price_max": "priceMax",
}


def _cursor(after: str | None) -> str:
    if after is not None and len(after) > MAX_CURSOR:
        raise bad_input(
            f"`after` is at most {MAX_CURSOR} characters.", [{"field": "after", "message": "too long"}]
        )
    return after or ""


def _signed_in(info: GraphQLInfo) -> Principal:
    principal = info.context.principal
    if principal is None:
        raise unauthenticated()
    return principal


@strawberry.type(
    description="Read-only: the catalog for everyone; your own orders and tickets once signed in."
)
class Query:
    @strawberry.field(description="One event, if you may see it (null otherwise).")
    async def event(self, info: GraphQLInfo, id: strawberry.ID) -> Event | None:
        try:
            event_id = str(uuid.UUID(str(id)))
        except ValueError:
            raise bad_input("`id` is not an event id.", [{"field": "id", "message": "not a UUID"}]) from None
        found = await info.context.events.load(event_id)
        return Event(id=strawberry.ID(event_id)) if found is not None else None

    @strawberry.field(
        description="Published events, as GET /api/v1/events finds them: the filters combine, `sort` orders, "
        "pages are keyset pages (`first`, then `after` = the previous page's `pageInfo.endCursor`)."
    )
    async def events(
        self,
        info: GraphQLInfo,
        first: int = DEFAULT_FIRST,
        after: str | None = None,
        q: Annotated[
            str | None, strawberry.argument(description="Words to find; at most 200 characters.")
        ] = None,
        category: Category | None = None,
        city: Annotated[str | None, strawberry.argument(description="At most 100 characters.")] = None,
        date_from: Annotated[
            str | None,
            strawberry.argument(description="ISO-8601 time with offset, or a date (UTC). Default: now."),
        ] = None,
        date_to: Annotated[
            str | None, strawberry.argument(description="A date includes that whole day.")
        ] = None,
        price_min: Annotated[
            str | None, strawberry.argument(description='A decimal string: "200.00".')
        ] = None,
        price_max: str | None = None,
        currency: Annotated[
            str | None, strawberry.argument(description="ISO 4217: prices compare in it.")
        ] = None,
        available: bool = False,
        featured: bool = False,
        sort: EventOrder = EventOrder.DATE,
        with_total: Annotated[bool, strawberry.argument(description="Also count every match.")] = False,
    ) -> EventConnection:
        try:
            query = ListingQuery.model_validate(
                {
                    "q": q,
                    "category": category.value if category else None,
                    "city": city,
                    "date_from": date_from,
                    "date_to": date_to,
                    "price_min": price_min,
                    "price_max": price_max,
                    "currency": currency,
                    "available": available,
                    "featured": featured,
                    "sort": sort.value,
                    "limit": bounded_first(first),
                    "cursor": _cursor(after) or None,
                    "count": with_total,
                }
            )
        except ValidationError as invalid:
            errors = [
                {"field": _ARGUMENTS.get(str(error["loc"][0]), str(error["loc"][0])), "message": error["msg"]}
                for error in invalid.errors()
            ]
            raise bad_input("Invalid arguments.", errors) from None
        try:
            reply = await info.context.events_client.search_events(query.to_pb())
        except grpc.aio.AioRpcError as error:
            raise public_rpc_error(error) from error
        return EventConnection(
            nodes=[Event(id=strawberry.ID(summary.id), summary=summary) for summary in reply.events],
            page_info=PageInfo.of(reply.next_cursor),
            total_count=reply.total if reply.HasField("total") else None,
        )

    @strawberry.field(description="Your orders, newest first. Needs a signed-in caller.")
    async def my_orders(
        self,
        info: GraphQLInfo,
        first: int = DEFAULT_FIRST,
        after: str | None = None,
        status: Annotated[list[OrderStatus] | None, strawberry.argument(description="Only these.")] = None,
    ) -> OrderConnection:
        principal = _signed_in(info)
        statuses = sorted({s.value for s in status or []})  # at most the seven statuses, however many sent
        try:
            reply = await info.context.ticketing_client.list_my_orders(
                principal, statuses=statuses, limit=bounded_first(first), cursor=_cursor(after)
            )
        except grpc.aio.AioRpcError as error:
            raise public_rpc_error(error) from error
        return OrderConnection(
            nodes=[Order.of(order) for order in reply.orders], page_info=PageInfo.of(reply.next_cursor)
        )

    @strawberry.field(description="Your tickets, newest first. Needs a signed-in caller.")
    async def my_tickets(
        self, info: GraphQLInfo, first: int = DEFAULT_FIRST, after: str | None = None
    ) -> TicketConnection:
        principal = _signed_in(info)
        try:
            reply = await info.context.ticketing_client.list_my_tickets(
                principal, limit=bounded_first(first), cursor=_cursor(after)
            )
        except grpc.aio.AioRpcError as error:
            raise public_rpc_error(error) from error
        return TicketConnection(
            nodes=[Ticket.of(ticket) for ticket in reply.tickets], page_info=PageInfo.of(reply.next_cursor)
        )


class EdgeSchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Logs only the failures the caller sees as "Unexpected error." (with their cause): refused
        documents and the caller's own mistakes are answers, not incidents."""
        super().process_errors([error for error in errors if masked(error)], execution_context)


def build_schema() -> strawberry.Schema:
    return EdgeSchema(
        query=Query,
        # Factories: strawberry builds each extension anew per operation (MaskErrors keeps state).
        extensions=[
            lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
            lambda: MaxAliasesLimiter(max_alias_count=MAX_ALIASES),
            lambda: QueryDepthLimiter(max_depth=MAX_DEPTH),
            lambda: AddValidationRules([CostLimit]),
            lambda: MaskErrors(should_mask_error=masked),
        ],
    )


SCHEMA = build_schema()


async def graphql_context(
    request: Request, principal: OptionalPrincipal, events: Events, ticketing: Ticketing
) -> GraphQLContext:
    await _read_bounded_body(request)
    return GraphQLContext(principal, events, ticketing)


async def _read_bounded_body(request: Request) -> None:
    """Reads the body, refusing it with 413 past :data:`MAX_BODY` bytes (declared or actually sent),
    before strawberry reads it whole; Starlette keeps it for strawberry's own read."""
    too_large = Problem(
        413, f"A GraphQL request is at most {MAX_BODY // 1024} KiB.", slug="content-too-large"
    )
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise too_large
        chunks.append(chunk)
    request._body = b"".join(chunks)


def graphql_router(settings: EdgeSettings) -> GraphQLRouter[GraphQLContext, None]:
    router: GraphQLRouter[GraphQLContext, None] = GraphQLRouter(
        SCHEMA,
        path="/graphql",
        graphql_ide="graphiql" if settings.environment == "development" else None,
        # POST only: a query in a URL lands in logs and caches, and GET would make reads cross-site.
        allow_queries_via_get=False,
        context_getter=graphql_context,
        include_in_schema=False,
        subscription_protocols=(),
    )
    # No WebSocket route: the schema has no subscriptions, and the rate limit and the token check
    # (AuthAndRateLimitMiddleware) see HTTP requests only; a query over a socket would pass both.
    router.routes = [route for route in router.routes if not isinstance(route, APIWebSocketRoute)]
    return router
