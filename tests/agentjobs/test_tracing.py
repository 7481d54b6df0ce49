"""The tracing helpers: the traces URL, trace ids on log lines and in job records, no-ops."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace import TracerProvider

from agentjobs import tracing
from agentjobs.logging_setup import JobContextFilter, JsonFormatter, TextFormatter, use_trace_ids
from agentjobs.records import record_from_hash
from agentjobs.settings import RedisSettings

TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def test_the_traces_url_follows_the_opentelemetry_rule() -> None:
    def url(**env: str) -> str | None:
        return tracing.traces_url(RedisSettings.model_validate(env))

    assert url() is None
    assert url(OTEL_EXPORTER_OTLP_ENDPOINT="http://c:4318/") == "http://c:4318/v1/traces"
    full = "http://c:4318/custom"
    assert (
        url(OTEL_EXPORTER_OTLP_ENDPOINT="http://c:4318", OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=full)
        == full
    )


def test_the_record_shows_the_trace_of_its_traceparent() -> None:
    raw = {
        "job_id": "j",
        "workflow": "wf",
        "user": "u",
        "status": "queued",
        "created_at": "2026-01-01T00:00:00+00:00",
    }
    assert record_from_hash(raw).trace_id is None
    record = record_from_hash({**raw, "traceparent": TRACEPARENT})
    assert (record.trace_id, record.traceparent) == (TRACEPARENT.split("-")[1], TRACEPARENT)


def test_without_an_endpoint_the_helpers_do_nothing() -> None:
    # This process never configured tracing (no endpoint in the test environment).
    assert tracing.trace_fields() == {}
    with tracing.span("a wait", {"agentjobs.job_id": "j"}) as note:
        note.set("agentjobs.wait.outcome", "answered")
        note.outcome("failed", "boom")
    assert tracing.current_trace_id() is None


@pytest.fixture
def lines() -> Iterator[tuple[logging.Logger, io.StringIO, logging.Handler]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(JobContextFilter())
    logger = logging.getLogger("tests.tracing")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    use_trace_ids(tracing.current_trace_id)
    yield logger, stream, handler
    use_trace_ids(lambda: None)
    logger.removeHandler(handler)


def test_lines_inside_a_span_carry_its_trace_id(
    lines: tuple[logging.Logger, io.StringIO, logging.Handler],
) -> None:
    logger, stream, handler = lines
    # A provider of its own, not the global one: the current span is what the lines follow.
    tracer = TracerProvider().get_tracer("tests")
    handler.setFormatter(JsonFormatter())
    with tracer.start_as_current_span("work") as span:
        logger.info("inside")
    logger.info("outside")
    inside, outside = (json.loads(line) for line in stream.getvalue().splitlines())
    assert inside["trace_id"] == format(span.get_span_context().trace_id, "032x")
    assert "trace_id" not in outside
    handler.setFormatter(TextFormatter())
    with tracer.start_as_current_span("more") as span:
        logger.info("text")
    trace_id = format(span.get_span_context().trace_id, "032x")
    assert stream.getvalue().splitlines()[-1].endswith(f"text [trace_id={trace_id}]")
