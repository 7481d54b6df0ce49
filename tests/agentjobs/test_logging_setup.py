"""Log lines carry the job they are about, as text or JSON."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator

import pytest

from agentjobs.logging_setup import (
    JobContextFilter,
    JsonFormatter,
    TextFormatter,
    bind_job,
    current_job,
    job_context,
    unbind,
)

Captured = tuple[logging.Logger, io.StringIO, logging.Handler]


@pytest.fixture
def capture() -> Iterator[Captured]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(JobContextFilter())
    logger = logging.getLogger("tests.logging_setup")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield logger, stream, handler
    logger.removeHandler(handler)


def test_json_lines_carry_the_bound_job(capture: Captured) -> None:
    logger, stream, handler = capture
    handler.setFormatter(JsonFormatter())
    with job_context(job_id="j1", workflow="wf", user="alice"):
        logger.info("step %d", 3)
    logger.info("outside")
    inside, outside = (json.loads(line) for line in stream.getvalue().splitlines())
    assert inside["message"] == "step 3"
    assert (inside["job_id"], inside["workflow"], inside["user"]) == ("j1", "wf", "alice")
    assert inside["level"] == "INFO" and inside["logger"] == "tests.logging_setup"
    assert "job_id" not in outside


def test_text_lines_end_with_the_job_and_keep_tracebacks_below(
    capture: Captured,
) -> None:
    logger, stream, handler = capture
    handler.setFormatter(TextFormatter())
    with job_context(job_id="j2", user="bob"):
        try:
            raise ValueError("boom")
        except ValueError:
            logger.exception("failed")
    first, *rest = stream.getvalue().splitlines()
    assert first.endswith("failed [job_id=j2 user=bob]")
    assert any("ValueError: boom" in line for line in rest)


def test_binding_adds_to_the_context_and_unbinding_restores_it() -> None:
    outer = bind_job(job_id="j3")
    inner = bind_job(workflow="wf", user=None)
    assert current_job() == {"job_id": "j3", "workflow": "wf"}
    unbind(inner)
    assert current_job() == {"job_id": "j3"}
    unbind(outer)
    assert current_job() == {}


async def test_tasks_started_inside_a_job_keep_its_context() -> None:
    async def child() -> dict[str, str]:
        return current_job()

    with job_context(job_id="j4"):
        seen = await asyncio.create_task(child())
    assert seen == {"job_id": "j4"}
    assert current_job() == {}
