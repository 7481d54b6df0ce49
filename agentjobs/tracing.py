"""OpenTelemetry traces: exported only when an OTLP endpoint is configured, one trace per job.

Without ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``) nothing here
loads the OpenTelemetry SDK, its exporter or any instrumentation, and every helper is a no-op.
With one, ``configure_tracing`` installs a tracer provider that batches spans to the endpoint
over OTLP/HTTP (protobuf), and instruments Celery (the enqueue and the run, the context carried
in the message headers) and, in the worker, the ``openai`` client (a GenAI span per model call).
FastAPI traces requests by itself once a provider is set. The job record keeps the
``traceparent`` of the request that created the job, so every run attempt, a resumed one
included, joins the job's trace (``run_attempt``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from agentjobs import logging_setup
from agentjobs.settings import RedisSettings

if TYPE_CHECKING:
    from opentelemetry.trace import Span, Tracer

    from agentjobs.protocol import JobRecord

TRACEPARENT = "traceparent"
"""The job record field holding the W3C trace context of the request that created the job."""
Attribute = str | int | float | bool

_tracer: Tracer | None = None


def traces_url(settings: RedisSettings) -> str | None:
    """Where spans go: the traces endpoint as given, or ``<endpoint>/v1/traces`` (the
    OpenTelemetry rule for the generic variable); None when neither is set."""
    if settings.otlp_traces_endpoint:
        return settings.otlp_traces_endpoint
    if settings.otlp_endpoint:
        return settings.otlp_endpoint.rstrip("/") + "/v1/traces"
    return None


def configure_tracing(
    service_name: str, settings: RedisSettings, *, model_calls: bool = False
) -> bool:
    """Export this process's traces when ``settings`` name an OTLP endpoint; True if it does.

    ``model_calls`` also instruments the ``openai`` client (the worker). Idempotent. Other
    ``OTEL_*`` variables (headers, ``OTEL_BSP_SCHEDULE_DELAY``, ``OTEL_SERVICE_NAME``...) are
    read by the SDK from the environment.
    """
    global _tracer
    url = traces_url(settings)
    if url is None or _tracer is not None:
        return _tracer is not None
    from agentjobs import tracing_setup

    _tracer = tracing_setup.install(service_name, url, model_calls=model_calls)
    logging_setup.use_trace_ids(current_trace_id)
    return True


def shutdown_tracing() -> None:
    """Export the spans still buffered and stop exporting (a no-op while tracing is off)."""
    if _tracer is None:
        return
    from opentelemetry import trace

    provider = trace.get_tracer_provider()
    shutdown = getattr(provider, "shutdown", None)
    if shutdown is not None:
        shutdown()


def current_trace_id() -> str | None:
    """The current span's trace id (32 hex digits), or None outside a span."""
    from opentelemetry import trace

    context = trace.get_current_span().get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else None


def trace_fields() -> dict[str, str]:
    """The job record fields tying a new job to the current trace (none while tracing is off)."""
    if _tracer is None:
        return {}
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    carrier: dict[str, str] = {}
    TraceContextTextMapPropagator().inject(carrier)
    return {TRACEPARENT: carrier[TRACEPARENT]} if TRACEPARENT in carrier else {}


class SpanNote:
    """What a block may add to its span; does nothing while tracing is off."""

    def __init__(self, span: Span | None = None) -> None:
        self._span = span

    def set(self, key: str, value: Attribute) -> None:
        """Set an attribute on the span."""
        if self._span is not None:
            self._span.set_attribute(key, value)

    def outcome(self, status: str, error: str | None = None) -> None:
        """Record how the block ended (``agentjobs.outcome``); an ``error`` fails the span."""
        self.set("agentjobs.outcome", status)
        if error is not None:
            self.fail(error)

    def fail(self, description: str) -> None:
        """Mark the span as failed (the block ended in an error it did not raise)."""
        if self._span is not None:
            from opentelemetry.trace import Status, StatusCode

            self._span.set_status(Status(StatusCode.ERROR, description))


@contextlib.contextmanager
def span(name: str, attributes: Mapping[str, Attribute | None] | None = None) -> Iterator[SpanNote]:
    """A span around the block, child of the current one (nothing while tracing is off)."""
    if _tracer is None:
        yield SpanNote()
        return
    given = {key: value for key, value in (attributes or {}).items() if value is not None}
    with _tracer.start_as_current_span(name, attributes=given) as current:
        yield SpanNote(current)


@contextlib.contextmanager
def run_attempt(record: JobRecord, resumed: bool) -> Iterator[SpanNote]:
    """The span of one run attempt of a job, in the job's trace.

    A first attempt runs under the Celery run span, already in the job's trace (the task's
    headers carried it from the request that created the job). A resumed job's task was sent
    by an answer or the reaper, so its Celery span is in another trace: the attempt is then
    parented on the job record's ``traceparent`` and links to the Celery span.
    """
    if _tracer is None:
        yield SpanNote()
        return
    from opentelemetry import trace
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    current = trace.get_current_span().get_span_context()
    parent = None
    links = []
    if record.traceparent:
        job_context = TraceContextTextMapPropagator().extract({TRACEPARENT: record.traceparent})
        job_span = trace.get_current_span(job_context).get_span_context()
        if job_span.is_valid and job_span.trace_id != current.trace_id:
            parent = job_context
            links = [trace.Link(current)] if current.is_valid else []
    attributes: dict[str, Attribute] = {
        "agentjobs.job_id": record.job_id,
        "agentjobs.workflow": record.workflow,
        "agentjobs.attempt": record.attempt,
        "agentjobs.resumed": resumed,
    }
    with _tracer.start_as_current_span(
        f"attempt {record.workflow}", context=parent, links=links, attributes=attributes
    ) as current_span:
        yield SpanNote(current_span)
