"""The tracer provider behind ``agentjobs.tracing``: imported only once an endpoint is set.

Importing this module loads the OpenTelemetry SDK, the OTLP/HTTP exporter and the Celery and
openai instrumentations; ``agentjobs.tracing.configure_tracing`` imports it lazily so a process
without an endpoint never pays for them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.celery import CeleryInstrumentor
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

QUIET_TRACERS = ("autogen SingleThreadedAgentRuntime",)
"""Tracers made transparent: AutoGen's runtime opens a span for every message it creates,
publishes, processes and acks (about 130 for a four-turn chat), which would bury the model
calls. Its GenAI spans (``invoke_agent``, ``create_agent``, ``execute_tool``) stay."""


class _Transparent(trace.Tracer):
    """Starts no span: the "span" it hands out is the current one, non-recording, so spans
    started inside it keep their real parent."""

    def start_span(
        self, name: str, context: Context | None = None, *args: Any, **kwargs: Any
    ) -> trace.Span:
        return trace.NonRecordingSpan(trace.get_current_span(context).get_span_context())

    @contextmanager  # the API's return type is private to it: a plain context manager here
    def start_as_current_span(  # type: ignore[override]
        self, name: str, context: Context | None = None, *args: Any, **kwargs: Any
    ) -> Iterator[trace.Span]:
        span = self.start_span(name, context)
        with trace.use_span(span, end_on_exit=False):
            yield span


class _Provider(TracerProvider):
    """The SDK's provider, with the ``QUIET_TRACERS`` made transparent."""

    def get_tracer(self, instrumenting_module_name: str, *args: Any, **kwargs: Any) -> trace.Tracer:
        if instrumenting_module_name.startswith(QUIET_TRACERS):
            return _Transparent()
        return super().get_tracer(instrumenting_module_name, *args, **kwargs)


def install(service_name: str, url: str, *, model_calls: bool) -> trace.Tracer:
    """Set the global provider (batched OTLP/HTTP export to ``url``), instrument Celery and,
    with ``model_calls``, the openai client; returns agentjobs' own tracer."""
    provider = _Provider(resource=_resource(service_name))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=url)))
    trace.set_tracer_provider(provider)
    CeleryInstrumentor().instrument(tracer_provider=provider)  # type: ignore[no-untyped-call]
    if model_calls:
        from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor

        OpenAIInstrumentor().instrument(tracer_provider=provider)  # type: ignore[no-untyped-call]
    return provider.get_tracer("agentjobs")


def _resource(service_name: str) -> Resource:
    """``service_name`` unless ``OTEL_SERVICE_NAME`` or ``OTEL_RESOURCE_ATTRIBUTES`` name one."""
    detected = Resource.create()
    if str(detected.attributes.get(SERVICE_NAME, "")).startswith("unknown_service"):
        return detected.merge(Resource({SERVICE_NAME: service_name}))
    return detected
