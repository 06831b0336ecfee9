"""An in-memory OTLP/gRPC trace collector for tests: services export to it like to Jaeger."""

from __future__ import annotations

import threading
from concurrent import futures
from dataclasses import dataclass
from typing import Any

import grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc

from devstack.processes import free_port


@dataclass(frozen=True)
class ExportedSpan:
    service: str
    name: str
    kind: int
    trace_id: str
    span_id: str
    parent_span_id: str
    links: tuple[str, ...]  # trace ids of linked spans
    attributes: dict[str, Any]


class _Collector(trace_service_pb2_grpc.TraceServiceServicer):
    def __init__(self, sink: OtlpSink) -> None:
        self._sink = sink

    def Export(self, request: Any, context: Any) -> Any:
        for resource_spans in request.resource_spans:
            attrs = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
            service = attrs.get("service.name", "")
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    self._sink.add(
                        ExportedSpan(
                            service=service,
                            name=span.name,
                            kind=span.kind,
                            trace_id=span.trace_id.hex(),
                            span_id=span.span_id.hex(),
                            parent_span_id=span.parent_span_id.hex(),
                            links=tuple(link.trace_id.hex() for link in span.links),
                            attributes={
                                a.key: a.value.string_value or a.value.int_value for a in span.attributes
                            },
                        )
                    )
        return trace_service_pb2.ExportTraceServiceResponse()


class OtlpSink:
    def __init__(self) -> None:
        self.port = free_port()
        self._spans: list[ExportedSpan] = []
        self._lock = threading.Lock()
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        trace_service_pb2_grpc.add_TraceServiceServicer_to_server(_Collector(self), self._server)  # type: ignore[no-untyped-call]
        self._server.add_insecure_port(f"127.0.0.1:{self.port}")

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def add(self, span: ExportedSpan) -> None:
        with self._lock:
            self._spans.append(span)

    def spans(self) -> list[ExportedSpan]:
        with self._lock:
            return list(self._spans)

    def start(self) -> None:
        self._server.start()

    def stop(self) -> None:
        self._server.stop(grace=1)
