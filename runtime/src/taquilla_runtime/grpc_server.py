"""gRPC server bootstrap: health checking, reflection, correlation ids, metrics and graceful shutdown.

A service builds its servicers and hands them to :class:`GrpcService`; :meth:`GrpcService.run`
serves until SIGTERM or SIGINT, then reports NOT_SERVING, stops accepting calls and lets in-flight
calls finish within the grace period.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from opentelemetry import propagate, trace
from prometheus_client import Counter, Histogram

from taquilla_runtime.audit import SERVICE_NAME as AUDIT_SERVICE_NAME
from taquilla_runtime.audit import AuditInterceptor, AuditTrail, register_reader
from taquilla_runtime.correlation import (
    GRPC_METADATA_KEY,
    accept_or_new,
    reset_correlation_id,
    set_correlation_id,
)

log = logging.getLogger(__name__)

GRPC_HANDLED = Counter(
    "taquilla_grpc_server_handled_total",
    "gRPC calls completed by the server, by method and status code.",
    ["grpc_service", "grpc_method", "grpc_code"],
)
GRPC_DURATION = Histogram(
    "taquilla_grpc_server_handling_seconds",
    "Time the server spent on a gRPC call.",
    ["grpc_service", "grpc_method"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)

# Codes that mean the server failed (the others are the caller's problem or normal outcomes).
SERVER_ERRORS = frozenset(
    {
        grpc.StatusCode.UNKNOWN,
        grpc.StatusCode.INTERNAL,
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.DATA_LOSS,
    }
)
tracer = trace.get_tracer("taquilla_runtime.grpc")

ReadinessCheck = Callable[[], Awaitable[None]]
Registration = Callable[[grpc.aio.Server], None]


def _split_method(full_method: str) -> tuple[str, str]:
    _, service, method = full_method.split("/", 2)
    return service, method


# How long a client connection lives before the server asks the client to reconnect.
GRPC_MAX_CONNECTION_AGE_MS = 300_000


class ObservingInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[misc]
    """Binds the caller's correlation id to the call and records its outcome and duration."""

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        if handler is None or handler.unary_unary is None:
            return handler
        metadata = dict(handler_call_details.invocation_metadata or ())
        service, method = _split_method(handler_call_details.method)
        inner = handler.unary_unary

        async def observed(request: Any, context: grpc.aio.ServicerContext) -> Any:
            token = set_correlation_id(accept_or_new(metadata.get(GRPC_METADATA_KEY)))
            started = time.perf_counter()
            code = grpc.StatusCode.OK
            # Continue the caller's trace (W3C traceparent in the metadata).
            parent = propagate.extract({k: v for k, v in metadata.items() if isinstance(v, str)})
            # Aborts are answers, not failures: no traceback is formatted for them (a sold-out zone
            # answers thousands of calls a second in a flash sale); unexpected errors are recorded below.
            with tracer.start_as_current_span(
                f"{service}/{method}",
                context=parent,
                kind=trace.SpanKind.SERVER,
                attributes={"rpc.system": "grpc", "rpc.service": service, "rpc.method": method},
                record_exception=False,
                set_status_on_exception=False,
            ) as span:
                try:
                    return await inner(request, context)
                except asyncio.CancelledError:
                    code = grpc.StatusCode.CANCELLED
                    raise
                except grpc.aio.AbortError:
                    raise  # the servicer chose the status and its message
                except Exception as exc:
                    # grpc.aio would put the exception's text in the status details: callers get a
                    # generic INTERNAL instead, and the details stay in our (scrubbed) logs.
                    log.exception("unhandled error in gRPC call", extra={"grpc_method": method})
                    span.record_exception(exc)
                    code = grpc.StatusCode.INTERNAL
                    await context.abort(code, "Internal error.")
                finally:
                    code = context.code() or code
                    span.set_attribute("rpc.grpc.status_code", code.value[0])
                    if code in SERVER_ERRORS:
                        span.set_status(trace.StatusCode.ERROR, code.name)
                    GRPC_HANDLED.labels(service, method, code.name).inc()
                    GRPC_DURATION.labels(service, method).observe(time.perf_counter() - started)
                    reset_correlation_id(token)

        return grpc.unary_unary_rpc_method_handler(
            observed,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )


class GrpcService:
    """One gRPC server process with health, reflection (in development) and readiness tracking."""

    def __init__(
        self,
        *,
        address: str,
        service_names: Sequence[str],
        register: Iterable[Registration],
        readiness_checks: Sequence[ReadinessCheck] = (),
        readiness_interval: float = 5.0,
        grace_seconds: float = 10.0,
        audit: AuditTrail | None = None,
        interceptors: Sequence[grpc.aio.ServerInterceptor] = (),
        reflection: bool = False,
    ) -> None:
        """``audit``: the service's audit trail; its methods are recorded and its log is served as
        ``taquilla.audit.v1.AuditService`` (taquilla_runtime.audit). ``interceptors`` (the scope
        check) run after the observing and audit ones, so their refusals are counted and audited.
        ``reflection``: serve gRPC server reflection (services turn it on in development only:
        ``ServiceSettings.grpc_reflection``)."""
        self._address = address
        self._service_names = list(service_names)
        self._register = list(register)
        self._audit = audit
        self._checks = list(readiness_checks)
        self._interval = readiness_interval
        self._grace = grace_seconds
        # After the observing one, so refusals (e.g. a token without the scope) are counted too.
        self._interceptors = list(interceptors)
        self._reflection = reflection
        self._server: grpc.aio.Server | None = None
        self._health = health.aio.HealthServicer()
        self._stopping = asyncio.Event()
        self.port = 0

    async def start(self) -> None:
        # The observing interceptor runs first: the audit reads the correlation id it binds.
        interceptors: list[grpc.aio.ServerInterceptor] = [ObservingInterceptor()]
        registrations = list(self._register)
        reflected = list(self._service_names)
        if self._audit is not None:
            interceptors.append(AuditInterceptor(self._audit))
            registrations.append(register_reader(self._audit.engine))
            reflected.append(AUDIT_SERVICE_NAME)
        interceptors += self._interceptors
        server = grpc.aio.server(
            interceptors=interceptors,
            options=[
                ("grpc.so_reuseport", 0),
                ("grpc.max_receive_message_length", 4 * 1024 * 1024),
                # Clients reconnect now and then, resolving the service's name again, so replicas
                # added by an autoscaler get their share of calls (see service_client.CHANNEL_OPTIONS).
                ("grpc.max_connection_age_ms", GRPC_MAX_CONNECTION_AGE_MS),
                ("grpc.max_connection_age_grace_ms", 30_000),
            ],
        )
        for register in registrations:
            register(server)
        health_pb2_grpc.add_HealthServicer_to_server(self._health, server)
        if self._reflection:
            reflected += [health.SERVICE_NAME, reflection.SERVICE_NAME]
            reflection.enable_server_reflection(reflected, server)
        self.port = server.add_insecure_port(self._address)
        if self.port == 0:
            raise RuntimeError(f"cannot listen on {self._address}: is another process using it?")
        await server.start()
        self._server = server
        await self._refresh_readiness()
        host = self._address.rpartition(":")[0]
        log.info("gRPC server listening", extra={"address": f"{host}:{self.port}"})

    async def _set_status(self, status: int) -> None:
        for name in ("", *self._service_names):
            await self._health.set(name, status)

    async def _refresh_readiness(self) -> bool:
        try:
            for check in self._checks:
                await asyncio.wait_for(check(), timeout=max(1.0, self._interval))
        except Exception as exc:  # any failing dependency makes the service not ready
            await self._set_status(health_pb2.HealthCheckResponse.NOT_SERVING)
            log.warning("readiness check failed", extra={"reason": type(exc).__name__})
            return False
        await self._set_status(health_pb2.HealthCheckResponse.SERVING)
        return True

    async def _watch_readiness(self) -> None:
        while not self._stopping.is_set():
            try:
                await asyncio.wait_for(self._stopping.wait(), timeout=self._interval)
            except TimeoutError:
                await self._refresh_readiness()

    def request_stop(self) -> None:
        self._stopping.set()

    async def stop(self) -> None:
        """Reports NOT_SERVING, refuses new calls and waits for in-flight calls up to the grace period."""
        self._stopping.set()
        if self._server is None:
            return
        await self._health.enter_graceful_shutdown()
        log.info("draining in-flight gRPC calls", extra={"grace_seconds": self._grace})
        await self._server.stop(self._grace)
        self._server = None

    async def run(self) -> None:
        """Serves until SIGTERM/SIGINT, then shuts down gracefully."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.request_stop)
        await self.start()
        try:
            await self._watch_readiness()
        finally:
            await self.stop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(sig)
