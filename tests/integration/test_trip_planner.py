"""The trip planner end to end: a multiple choice answered over HTTP, a tool call and its result."""

from __future__ import annotations

import httpx

from tests.support.client import job_socket, start_job


async def test_trip_planner_answers_over_http_and_shows_tool_calls(
    http: httpx.AsyncClient, api_url: str
) -> None:
    job_id = await start_job(http, "trip_planner", days=2)
    async with job_socket(api_url, job_id) as ws:
        choice = await ws.until("multiple_choice")
        assert choice["choices"] == ["Paris", "Tokyo", "Lisbon"]
        pending = (await http.get(f"/jobs/{job_id}")).json()
        assert pending["status"] == "awaiting_input"
        assert pending["pending"]["request_id"] == choice["request_id"]

        answered = await http.post(
            f"/jobs/{job_id}/input", json={"request_id": choice["request_id"], "value": "Tokyo"}
        )
        assert answered.status_code == 200, answered.text
        assert answered.json()["status"] in ("running", "awaiting_input")

        question = await ws.until("text_input")
        assert question["sender"] == "Traveler"
        reply = {"request_id": question["request_id"], "value": "Looks great"}
        assert (await http.post(f"/jobs/{job_id}/input", json=reply)).status_code == 200
        end = await ws.until_end()

    assert end["type"] == "workflow_completed", end
    assert "Tokyo" in end["result"]
    calls = [e for e in ws.events if e["type"] == "tool_call"]
    results = [e for e in ws.events if e["type"] == "tool_result"]
    assert [c["function_name"] for c in calls] == ["get_weather"]
    assert '"Tokyo"' in calls[0]["arguments"]
    assert results[0]["call_id"] == calls[0]["call_id"]
    assert "Tokyo" in results[0]["content"] and results[0]["is_error"] is False
    assert any(e["type"] == "progress" for e in ws.events)
    assert (await http.get(f"/jobs/{job_id}")).json()["status"] == "succeeded"


async def test_every_tool_call_is_logged_when_agents_emit_concurrently(
    http: httpx.AsyncClient, api_url: str
) -> None:
    """The team's stream reader and the Traveler's question emit from different tasks; no event
    may be lost between them (it once was, to the replay check, in about 4 runs of 10)."""
    for _ in range(10):
        job_id = await start_job(http, "trip_planner")
        async with job_socket(api_url, job_id) as ws:
            choice = await ws.until("multiple_choice")
            await ws.send({"type": "input", "request_id": choice["request_id"], "value": "Paris"})
            question = await ws.until("text_input")
            await ws.send({"type": "input", "request_id": question["request_id"], "value": "ok"})
            await ws.until_end()
        types = [e["type"] for e in ws.events]
        assert types.count("tool_call") == 1 and types.count("tool_result") == 1, types
        logged = (await http.get(f"/jobs/{job_id}/events")).json()["events"]
        assert [e["id"] for e in logged] == [e["id"] for e in ws.events]
