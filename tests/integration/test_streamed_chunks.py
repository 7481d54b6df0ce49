"""A streamed answer's chunks are live and readable mid-stream, and gone once it is complete."""

from __future__ import annotations

from typing import Any

import httpx

from agentjobs.protocol import cursor_key
from tests.support.client import Frame, job_socket, start_job

CHUNKS = 2000
PAUSE_AT = 1000
"""The streamer asks a question after this many chunks: the test looks at the job mid-stream."""
FULL = "".join(f"t{n} " for n in range(CHUNKS))


def _parts(first: int, end: int) -> str:
    return "".join(f"t{n} " for n in range(first, end))


async def _all_events(http: httpx.AsyncClient, job_id: str) -> list[Frame]:
    """``GET /jobs/{id}/events``, every page."""
    events: list[Frame] = []
    after: str | None = "0"
    while after is not None:
        response = await http.get(f"/jobs/{job_id}/events", params={"after": after})
        assert response.status_code == 200, response.text
        page: dict[str, Any] = response.json()
        events += page["events"]
        after = page["next_after"]
    return events


def _text(events: list[Frame]) -> str:
    return "".join(e["content"] for e in events if e["type"] == "stream_chunk")


def _assert_increasing(events: list[Frame]) -> None:
    ids = [cursor_key(e["id"]) for e in events]
    assert ids == sorted(set(ids)), "ids repeat or go back"


async def test_a_finished_streamed_answer_leaves_no_chunk_and_a_reconnect_shows_the_partial(
    http: httpx.AsyncClient, api_url: str
) -> None:
    job_id = await start_job(http, "streamer", chunks=CHUNKS, ask_after=PAUSE_AT)
    async with job_socket(api_url, job_id) as first:
        question = await first.until("text_input")
        # Mid-stream: the page shows the partial text (over two pages), the question after it.
        mid = await _all_events(http, job_id)
        _assert_increasing(mid)
        assert _text(mid) == _text(first.events) == _parts(0, PAUSE_AT)
        assert sum(e["type"] == "stream_chunk" for e in mid) == PAUSE_AT
        assert mid[-1]["id"] == question["id"]
        chunk_ids = [e["id"] for e in mid if e["type"] == "stream_chunk"]
        async with (
            job_socket(api_url, job_id) as late,
            job_socket(api_url, job_id, after=chunk_ids[499]) as resumed,
        ):
            # Both connected mid-stream: they catch up on the partial message first.
            assert (await late.until("text_input"))["id"] == question["id"]
            assert (await resumed.until("text_input"))["id"] == question["id"]
            assert _text(late.events) == _text(mid)
            assert [e["id"] for e in resumed.events] == [*chunk_ids[500:], question["id"]]
            await first.send({"type": "input", "request_id": question["request_id"], "value": "y"})
            for sock in (first, late, resumed):
                end = await sock.until_end()
                assert end["type"] == "workflow_completed"
                _assert_increasing(sock.events)
                [message] = [e for e in sock.events if e["type"] == "text_message"]
                assert message["content"] == FULL
            assert _text(late.events) == _text(first.events) == FULL
            assert _text(resumed.events) == _parts(500, CHUNKS)

    # Complete: no chunk in any page, the message once, nothing else lost.
    done = await _all_events(http, job_id)
    assert [e for e in done if e["type"] == "stream_chunk"] == []
    assert [e["type"] for e in done] == [
        "job_queued",
        "workflow_started",
        "text_input",
        "input_received",
        "text_message",
        "workflow_completed",
    ]
    assert done == [e for e in first.events if e["type"] != "stream_chunk"]
    # A client that left mid-stream reads on from its cursor: the message replaces the preview.
    async with job_socket(api_url, job_id, after=chunk_ids[-1]) as back:
        await back.until_end()
    assert [e["type"] for e in back.events] == [
        "text_input",
        "input_received",
        "text_message",
        "workflow_completed",
    ]
