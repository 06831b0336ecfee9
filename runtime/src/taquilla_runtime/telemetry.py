"""OpenTelemetry tracing and the Prometheus metrics endpoint, set up once per process."""

from __future__ import annotations

import logging
import os
import threading
from wsgiref.simple_server import WSGIServer

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from prometheus_client import start_http_server

from taquilla_runtime.settings import parse_address

log = logging.getLogger(__name__)


def configure_tracing(service: str) -> TracerProvider:
    """Installs a tracer provider; spans are exported over OTLP only when an endpoint is configured."""
    provider = TracerProvider(
        resource=Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME", service)})
    )
    if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    return provider


class MetricsEndpoint:
    """The Prometheus ``/metrics`` HTTP endpoint, served from a background thread."""

    def __init__(self, address: str) -> None:
        self._host, self._port = parse_address(address)
        self._server: WSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self._server.server_port if self._server else self._port

    def start(self) -> None:
        self._server, self._thread = start_http_server(self._port, addr=self._host)
        log.info("metrics endpoint listening", extra={"address": f"{self._host}:{self.port}"})

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
