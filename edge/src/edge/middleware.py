"""ASGI middleware: correlation id on every request and response, and RED metrics per route."""

from __future__ import annotations

import time

from opentelemetry import context, propagate, trace
from prometheus_client import Counter, Histogram
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from taquilla_runtime.correlation import HTTP_HEADER, accept_or_new, reset_correlation_id, set_correlation_id

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


class CorrelationAndMetricsMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        correlation_id = accept_or_new(headers.get(HTTP_HEADER.lower()))
        token = set_correlation_id(correlation_id)
        started = time.perf_counter()
        status = 500
        method = scope.get("method", "GET")
        # A caller's W3C traceparent is continued; otherwise the request starts a trace.
        span = tracer.start_span(
            f"{method} {scope['path']}",
            context=propagate.extract(headers),
            kind=trace.SpanKind.SERVER,
            attributes={"http.request.method": method, "url.path": scope["path"]},
        )
        span_token = context.attach(trace.set_span_in_context(span))

        async def send_with_header(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((_HEADER_LOWER, correlation_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_header)
        finally:
            route = _route_template(scope)
            HTTP_REQUESTS.labels(method, route, str(status)).inc()
            HTTP_DURATION.labels(method, route).observe(time.perf_counter() - started)
            span.update_name(f"{method} {route}")
            span.set_attribute("http.route", route)
            span.set_attribute("http.response.status_code", status)
            span.set_attribute("taquilla.correlation_id", correlation_id)
            if status >= 500:
                span.set_status(trace.StatusCode.ERROR)
            span.end()
            context.detach(span_token)
            reset_correlation_id(token)
