"""The learning chat end to end: real API, real Celery worker, real Redis, real WebSocket."""

from __future__ import annotations

import httpx

from tests.support.client import job_socket, start_job


async def test_learning_chat_runs_to_completion_over_one_socket(
    http: httpx.AsyncClient, api_url: str
) -> None:
    job_id = await start_job(http, "learning_chat")
    async with job_socket(api_url, job_id) as ws:
        question = await ws.until("text_input")
        assert question["prompt"] == "What do you want to learn today?"
        await ws.send({"type": "input", "request_id": question["request_id"], "value": "fractions"})
        end = await ws.until_end()

    types = [e["type"] for e in ws.events]
    assert types[:2] == ["job_queued", "workflow_started"]
    assert end["type"] == "workflow_completed", end
    assert "fractions" in end["result"]
    received = [e for e in ws.events if e["type"] == "input_received"]
    assert [r["value"] for r in received] == ["fractions"]
    senders = {e["sender"] for e in ws.events if e["type"] == "text_message"}
    assert {"Student", "Teacher"} <= senders
    # Both agents speak only after the answer arrived.
    first_agent = next(
        i for i, e in enumerate(ws.events) if e.get("sender") in ("Student", "Teacher")
    )
    assert first_agent > types.index("input_received")

    record = (await http.get(f"/jobs/{job_id}")).json()
    assert record["status"] == "succeeded"
    assert record["result"] == end["result"]
    assert record["pending"] is None
