"""ASGI middleware: correlation id on every request and response, RED metrics per route, server spans."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from opentelemetry import context, propagate, trace
from prometheus_client import Counter, Histogram
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from taquilla_runtime.correlation import (
    HTTP_HEADER,
    accept_or_new,
    get_correlation_id,
    reset_correlation_id,
    set_correlation_id,
)

HTTP_REQUESTS = Counter(
    "taquilla_edge_http_requests_total", "HTTP requests answered by the edge.", ["method", "route", "status"]
)
HTTP_DURATION = Histogram(
    "taquilla_edge_http_request_duration_seconds",
    "Time the edge took to answer an HTTP request.",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
_HEADER_LOWER = HTTP_HEADER.lower().encode()
tracer = trace.get_tracer("edge")


def _route_template(scope: Scope) -> str:
    """The matched route's path template, so metrics never get one label per id."""
    # FastAPI leaves the route it chose in the scope; matching every route again costs more than a
    # cached answer does. Requests that matched nothing (or never reached the router) fall through.
    template = getattr(scope.get("route"), "path", None)
    if isinstance(template, str):
        return template
    app = scope.get("app")
    router = getattr(app, "router", None)
    for route in getattr(router, "routes", ()):
        match, _ = route.matches(scope)
        if match is Match.FULL:
            return str(getattr(route, "path", "unmatched"))
    return "unmatched"


# Only these request headers matter to the trace context (W3C trace context and baggage).
_PROPAGATED = frozenset({b"traceparent", b"tracestate", b"baggage"})
STARTED_NS = "taquilla.started_ns"  # in the scope: when the edge began the request (epoch ns)


class CorrelationAndMetricsMiddleware:
    """The correlation id (the caller's, if a UUID) on the request's context and its response, and
    the request counted and timed by method, route template and status. ``response_headers`` go on
    every answer too (Strict-Transport-Security behind TLS), the edge's own refusals included."""

    def __init__(self, app: ASGIApp, response_headers: Sequence[tuple[bytes, bytes]] = ()) -> None:
        self.app = app
        self._extra = tuple(response_headers)
        # prometheus_client's labels() validates and locks on every call; the children are reused.
        self._counters: dict[tuple[str, str, int], Any] = {}
        self._timers: dict[tuple[str, str], Any] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((v for k, v in scope["headers"] if k == _HEADER_LOWER), None)
        correlation_id = accept_or_new(given.decode("latin-1") if given is not None else None)
        token = set_correlation_id(correlation_id)
        scope[STARTED_NS] = time.time_ns()
        started = time.perf_counter()
        status = 500
        correlation_header = (_HEADER_LOWER, correlation_id.encode())

        async def send_with_header(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [*message.get("headers", ()), correlation_header, *self._extra]
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_header)
        finally:
            method = scope["method"]
            route = _route_template(scope)
            counter = self._counters.get((method, route, status))
            if counter is None:
                counter = self._counters[(method, route, status)] = HTTP_REQUESTS.labels(
                    method, route, str(status)
                )
            timer = self._timers.get((method, route))
            if timer is None:
                timer = self._timers[(method, route)] = HTTP_DURATION.labels(method, route)
            counter.inc()
            timer.observe(time.perf_counter() - started)
            reset_correlation_id(token)


class ServerSpanMiddleware:
    """The request's OpenTelemetry server span, continuing the caller's W3C ``traceparent``.

    It sits behind authentication, the rate limit and the catalog answers given before routing
    (edge.cache.middleware.CachedReads), so it covers the requests the routes answer, from the moment the edge
    began them. A catalog read answered from memory calls no service and logs nothing: it has no
    span, and is counted and timed in the metrics like every request.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        carrier = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"] if k in _PROPAGATED}
        span = tracer.start_span(
            f"{method} {scope['path']}",
            context=propagate.extract(carrier),
            kind=trace.SpanKind.SERVER,
            attributes={"http.request.method": method, "url.path": scope["path"]},
            start_time=scope.get(STARTED_NS),
        )
        span_token = context.attach(trace.set_span_in_context(span))
        status = 500

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            route = _route_template(scope)
            span.update_name(f"{method} {route}")
            span.set_attribute("http.route", route)
            span.set_attribute("http.response.status_code", status)
            if correlation_id := get_correlation_id():
                span.set_attribute("taquilla.correlation_id", correlation_id)
            if status >= 500:
                span.set_status(trace.StatusCode.ERROR)
            span.end()
            context.detach(span_token)
