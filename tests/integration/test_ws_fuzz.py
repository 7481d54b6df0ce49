"""WebSocket fuzzing: random, malformed and oversized frames, answers to other requests and jobs.

The server must answer every bad frame with a ``protocol_error`` (a ping with a ``pong``) and
keep the socket, close 1009 on a frame over the limit, never log a traceback, and leave the job
exactly as it was: still waiting for the same request, which a real answer then completes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from agentjobs.protocol import CLIENT_FRAME_ADAPTER, CancelFrame, InputFrame, PingFrame
from tests.support.client import ws_url
from tests.support.stack import RedisServer, api_server, wait_until

MAX_FRAME_BYTES = 128 * 1024  # the default AGENTJOBS_MAX_FRAME_BYTES
EXAMPLES = 150


@dataclass(frozen=True)
class Target:
    """A job waiting for input, the other job's pending request, and the API serving them."""

    api: str
    job_id: str
    request_id: str
    cursor: str
    other_job_id: str
    other_request_id: str
    log: Path


def _waiting(http: httpx.Client, workflow: str) -> tuple[str, dict[str, Any]]:
    job_id = http.post("/jobs", json={"workflow": workflow, "params": {}}).json()["job_id"]

    def asking() -> bool:
        return http.get(f"/jobs/{job_id}").json()["status"] == "awaiting_input"

    wait_until(asking, 30, f"{workflow} to ask its first question")
    return job_id, http.get(f"/jobs/{job_id}").json()


@pytest.fixture
def target(redis_srv: RedisServer, worker_proc: None, tmp_path: Path) -> Iterator[Target]:
    log = tmp_path / "api.log"
    with api_server(redis_srv.url, log) as api, httpx.Client(base_url=api, timeout=10) as http:
        job_id, record = _waiting(http, "learning_chat")
        other_id, other = _waiting(http, "trip_planner")
        yield Target(
            api=api,
            job_id=job_id,
            request_id=record["pending"]["request_id"],
            cursor=record["last_event_id"],
            other_job_id=other_id,
            other_request_id=other["pending"]["request_id"],
            log=log,
        )
        http.post(f"/jobs/{other_id}/cancel")


def _frames(target: Target) -> st.SearchStrategy[str | bytes]:
    """Text and binary frames of every kind, valid or not, minus those that act on the job."""
    text = st.text(st.characters(exclude_categories=["Cs"]), max_size=200)  # sendable as UTF-8
    scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | text
    values = st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
        max_leaves=8,
    )
    request_ids = (
        st.sampled_from([target.request_id, target.other_request_id, target.job_id, ""]) | text
    )
    shaped = st.fixed_dictionaries(
        {"type": st.sampled_from(["input", "cancel", "ping", "pong", "event"]) | text},
        optional={"request_id": request_ids | values, "value": values, "extra": values},
    )
    huge_answer = st.just(
        {"type": "input", "request_id": target.request_id, "value": ["x" * 70_000]}
    )
    frames = st.one_of(
        text,
        values.map(json.dumps),
        (shaped | huge_answer).map(json.dumps),
        st.binary(max_size=200),
        st.just("{" * 5000),  # deep nesting
    )
    return frames.filter(lambda frame: not _acts_on_the_job(frame, target))


def _parsed(frame: str | bytes) -> object:
    if isinstance(frame, bytes):
        return None
    try:
        return CLIENT_FRAME_ADAPTER.validate_json(frame)
    except ValidationError:
        return None


def _acts_on_the_job(frame: str | bytes, target: Target) -> bool:
    """A cancel, or a fitting answer to the pending request: real actions, not fuzz."""
    parsed = _parsed(frame)
    if isinstance(parsed, CancelFrame):
        return True
    return (
        isinstance(parsed, InputFrame)
        and parsed.request_id == target.request_id
        and isinstance(parsed.value, str)
    )


def _reply(conn: ClientConnection) -> dict[str, Any]:
    """The next frame that is not a job event."""
    while True:
        frame: dict[str, Any] = json.loads(conn.recv(timeout=10))
        if "id" not in frame:
            return frame


def test_random_frames_get_protocol_errors_and_leave_the_job_alone(target: Target) -> None:
    url = ws_url(target.api, target.job_id, target.cursor)
    replies: list[str] = []

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(frames=st.lists(_frames(target), min_size=1, max_size=8))
    def sending_keeps_the_socket_usable(frames: list[str | bytes]) -> None:
        with connect(url, open_timeout=10, max_size=None) as conn:
            for frame in frames:
                conn.send(frame)
                reply = _reply(conn)
                expected = "pong" if isinstance(_parsed(frame), PingFrame) else "protocol_error"
                assert reply["type"] == expected, (frame, reply)
                assert reply.get("detail") or expected == "pong"
                replies.append(reply["type"])
            # Still usable after all of it.
            conn.send(json.dumps({"type": "ping"}))
            assert _reply(conn)["type"] == "pong"

    sending_keeps_the_socket_usable()
    assert replies.count("protocol_error") >= EXAMPLES
    _assert_unaffected_then_answer(target)


@pytest.mark.parametrize(
    "frame",
    ["x" * (MAX_FRAME_BYTES + 1), "é" * (MAX_FRAME_BYTES // 2 + 1), b"\0" * (MAX_FRAME_BYTES + 1)],
    ids=["ascii", "two-byte characters", "binary"],
)
def test_an_oversized_frame_closes_the_socket_with_1009(target: Target, frame: str | bytes) -> None:
    with connect(ws_url(target.api, target.job_id, target.cursor), open_timeout=10) as conn:
        conn.send(frame)
        with pytest.raises(ConnectionClosed) as closed:
            _reply(conn)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1009
    assert str(MAX_FRAME_BYTES) in closed.value.rcvd.reason
    _assert_unaffected_then_answer(target)


def _assert_unaffected_then_answer(target: Target) -> None:
    with httpx.Client(base_url=target.api, timeout=10) as http:
        for job_id, request_id in [
            (target.job_id, target.request_id),
            (target.other_job_id, target.other_request_id),
        ]:
            record = http.get(f"/jobs/{job_id}").json()
            assert record["status"] == "awaiting_input"
            assert record["pending"]["request_id"] == request_id
        # Not one event was added: no answer, no cancel, no error.
        after = http.get(f"/jobs/{target.job_id}/events", params={"after": target.cursor})
        assert after.json()["events"] == []

    with connect(ws_url(target.api, target.job_id, target.cursor), open_timeout=10) as conn:
        answer = {"type": "input", "request_id": target.request_id, "value": "fractions"}
        conn.send(json.dumps(answer))
        events = []
        while not events or events[-1]["type"] not in ("workflow_completed", "workflow_failed"):
            events.append(json.loads(conn.recv(timeout=30)))
    assert events[0] == {**events[0], "type": "input_received", "value": "fractions"}
    assert events[-1]["type"] == "workflow_completed"
    assert "Traceback" not in target.log.read_text()
