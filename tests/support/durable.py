"""Helpers of the durable-run tests: suspend at once, short leases, one transcript per job."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.fake_openai import FakeOpenAI

DURABLE = {
    "AGENTJOBS_SUSPEND_AFTER_SECONDS": "0",
    "AGENTJOBS_LEASE_SECONDS": "1.5",
}


def model_env(model: FakeOpenAI) -> dict[str, str]:
    """A worker's settings that point its workflows at ``model``."""
    return {"OPENAI_API_KEY": "test-key", "OPENAI_BASE_URL": model.base_url}


async def job_events(http: httpx.AsyncClient, job_id: str) -> list[dict[str, Any]]:
    """The job's whole event log (one page)."""
    events: list[dict[str, Any]] = (await http.get(f"/jobs/{job_id}/events")).json()["events"]
    return events


def assert_one_transcript(events: list[dict[str, Any]]) -> None:
    """Resumed or not, the log reads as one run: no event, start or question twice."""
    ids = [e["id"] for e in events]
    assert len(ids) == len(set(ids))
    types = [e["type"] for e in events]
    assert types.count("workflow_started") == 1
    requests = [e["request_id"] for e in events if e["type"] in ("text_input", "multiple_choice")]
    assert len(requests) == len(set(requests)), "a question was asked twice"


def answer_frame(request: dict[str, Any], value: str) -> dict[str, Any]:
    """The socket frame answering ``request``."""
    return {"type": "input", "request_id": request["request_id"], "value": value}
