"""Replay and resume: a late client gets the whole log; ``after=<cursor>`` gives the rest."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack

import httpx

from agentjobs.protocol import cursor_key
from tests.support.client import Frame, JobSocket, job_socket, start_job


def _logged(events: list[Frame]) -> list[Frame]:
    """The events a finished job's log keeps: its stream chunks go once their message is in."""
    return [e for e in events if e["type"] != "stream_chunk"]


def _assert_resumed(resumed: list[Frame], tail: list[Frame]) -> None:
    """A socket resumed mid-run gets every logged event after its cursor, and of the chunks
    only those whose message was not complete when it caught up: never one twice or late."""
    assert _logged(resumed) == _logged(tail)
    ids = [cursor_key(e["id"]) for e in resumed]
    assert ids == sorted(set(ids))
    assert set(map(str, (e["id"] for e in resumed))) <= {e["id"] for e in tail}


async def _run_learning_chat(
    http: httpx.AsyncClient, api_url: str, live_cuts: list[tuple[str, JobSocket]]
) -> tuple[str, list[dict[str, object]]]:
    """Run a long learning chat; at every event seen while it runs, open a resuming socket."""
    job_id = await start_job(http, "learning_chat", turns=10)
    async with AsyncExitStack() as stack, job_socket(api_url, job_id) as ws:
        while True:
            frame = await ws.next()
            if frame["type"] == "text_input":
                await ws.send({"type": "input", "request_id": frame["request_id"], "value": "π"})
            if frame["type"] == "workflow_completed":
                break
            resumed = await stack.enter_async_context(job_socket(api_url, job_id, frame["id"]))
            live_cuts.append((str(frame["id"]), resumed))
        # Drain every resuming socket to its end while they are still open.
        await asyncio.gather(*(sock.until_end() for _, sock in live_cuts))
    return job_id, ws.events


async def test_every_cursor_resumes_without_gap_or_duplicate(
    http: httpx.AsyncClient, api_url: str
) -> None:
    live_cuts: list[tuple[str, JobSocket]] = []
    job_id, full = await _run_learning_chat(http, api_url, live_cuts)
    ids = [str(e["id"]) for e in full]
    assert len(ids) == len(set(ids)) and len(live_cuts) >= 25, (len(ids), len(live_cuts))

    # Cut points taken while the job was running.
    for cut, sock in live_cuts:
        _assert_resumed(sock.events, full[ids.index(cut) + 1 :])

    # Cut points after the job ended, over the WebSocket and over HTTP.
    for position in range(len(ids)):
        cut = ids[position]
        async with job_socket(api_url, job_id, cut) as ws:
            if position < len(ids) - 1:
                await ws.until_end()
            assert ws.events == _logged(full[position + 1 :]), f"late cut after {cut}"
        page = (await http.get(f"/jobs/{job_id}/events", params={"after": cut})).json()
        assert page["events"] == _logged(full[position + 1 :])
    assert len(live_cuts) + len(ids) >= 50


async def test_a_client_connecting_after_the_end_gets_the_whole_log_in_order(
    http: httpx.AsyncClient, api_url: str
) -> None:
    job_id = await start_job(http, "trip_planner")
    async with job_socket(api_url, job_id) as ws:
        choice = await ws.until("multiple_choice")
        await ws.send({"type": "input", "request_id": choice["request_id"], "value": "Lisbon"})
        question = await ws.until("text_input")
        await ws.send({"type": "input", "request_id": question["request_id"], "value": "ok"})
        await ws.until_end()
    async with job_socket(api_url, job_id) as late:
        await late.until_end()
        # The server closes the socket after the terminal event.
        assert await late.conn.wait_closed() is None
    assert late.conn.close_code == 1000
    assert late.events == ws.events
    assert late.events[0]["type"] == "job_queued"

    page = (await http.get(f"/jobs/{job_id}/events", params={"limit": 3})).json()
    assert page["events"] == ws.events[:3]
    assert page["next_after"] == ws.events[2]["id"]


async def test_a_page_of_the_log_is_bounded_in_bytes_and_says_where_to_read_on(
    http: httpx.AsyncClient, api_url: str
) -> None:
    # 1,200 messages of 2 KiB: over twice the default page bound (1 MiB) in all.
    job_id = await start_job(http, "chatty", count=1200, size=2048)
    async with job_socket(api_url, job_id) as ws:
        await ws.until_end()
    logged, sizes, after = [], [], "0"
    while after is not None:
        response = await http.get(f"/jobs/{job_id}/events", params={"after": after})
        page = response.json()
        assert page["events"], "a page after which nothing follows says so (null next_after)"
        logged += page["events"]
        # The bound is on the events as stored; each comes with its id (under 40 bytes) added.
        sizes.append(len(response.content) - 40 * len(page["events"]))
        after = page["next_after"]
    assert logged == _logged(ws.events)
    assert len(sizes) >= 3, sizes  # not the 1,000 events of the default limit: the bytes' bound
    assert max(sizes) <= 1024 * 1024 + 1024, sizes
    # A page of exactly ``limit`` events that ends the log says so too.
    last_but_three = logged[-4]["id"]
    params = {"after": last_but_three, "limit": 3}
    tail = (await http.get(f"/jobs/{job_id}/events", params=params)).json()
    assert tail["events"] == logged[-3:] and tail["next_after"] is None
