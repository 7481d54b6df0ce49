"""A local OTLP/HTTP trace receiver for tests: decodes what the real exporters send.

It answers ``POST /v1/traces`` (``application/x-protobuf``) on 127.0.0.1, parses each body as an
``ExportTraceServiceRequest`` with opentelemetry-proto's own classes, and keeps every span with
its service name, so a test can read whole traces back.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue

TRACES_PATH = "/v1/traces"


@dataclass(frozen=True)
class ReceivedSpan:
    """One span as exported: ids in hex, attributes as plain values."""

    service: str
    name: str
    trace_id: str
    span_id: str
    parent_id: str
    kind: int
    attributes: dict[str, Any]
    links: list[tuple[str, str]]
    """(trace id, span id) of each linked span."""
    status_code: int


@dataclass
class OtlpReceiver:
    """A running receiver: its endpoint (``OTEL_EXPORTER_OTLP_ENDPOINT``) and what it got."""

    endpoint: str
    requests: int = 0
    _spans: list[ReceivedSpan] = field(default_factory=list)
    _changed: threading.Condition = field(default_factory=threading.Condition)

    @property
    def spans(self) -> list[ReceivedSpan]:
        """Every span received so far, in arrival order."""
        with self._changed:
            return list(self._spans)

    def trace(self, trace_id: str) -> list[ReceivedSpan]:
        """The spans of one trace received so far."""
        return [s for s in self.spans if s.trace_id == trace_id]

    def wait_for(self, condition: Callable[[list[ReceivedSpan]], bool], timeout: float) -> None:
        """Block until ``condition(spans)`` holds (checked on each export); TimeoutError after."""
        with self._changed:
            if not self._changed.wait_for(lambda: condition(list(self._spans)), timeout):
                raise TimeoutError(f"spans never met the condition; got {len(self._spans)}")

    def _add(self, request: ExportTraceServiceRequest) -> None:
        spans = [
            _span(_service(resource.resource.attributes), span)
            for resource in request.resource_spans
            for scope in resource.scope_spans
            for span in scope.spans
        ]
        with self._changed:
            self.requests += 1
            self._spans.extend(spans)
            self._changed.notify_all()


def _value(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return [_value(v) for v in value.array_value.values]
    return getattr(value, kind) if kind else None


def _service(attributes: Any) -> str:
    return next((_value(a.value) for a in attributes if a.key == "service.name"), "")


def _span(service: str, span: Any) -> ReceivedSpan:
    return ReceivedSpan(
        service=service,
        name=span.name,
        trace_id=span.trace_id.hex(),
        span_id=span.span_id.hex(),
        parent_id=span.parent_span_id.hex(),
        kind=span.kind,
        attributes={a.key: _value(a.value) for a in span.attributes},
        links=[(link.trace_id.hex(), link.span_id.hex()) for link in span.links],
        status_code=span.status.code,
    )


def _handler(receiver: OtlpReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if self.path != TRACES_PATH:
                self.send_error(404)
                return
            request = ExportTraceServiceRequest()
            request.ParseFromString(body)  # a body that is not OTLP fails the export loudly
            receiver._add(request)
            answer = ExportTraceServiceResponse().SerializeToString()
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet: the exporters post every batch

    return Handler


@contextmanager
def otlp_receiver() -> Iterator[OtlpReceiver]:
    """Serve a fresh receiver on a free loopback port for the block."""
    receiver = OtlpReceiver("")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    receiver.endpoint = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, name="otlp-receiver", daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
