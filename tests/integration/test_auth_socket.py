"""The auth matrix on the job WebSocket: refused at the handshake (HTTP 401/404), never
accepted first; a frame acts on the socket's own job only."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.support.auth_api import ALICE, BOB, AuthApi, start, wait_status, waiting_job
from tests.support.client import JobSocket


def socket_url(api: AuthApi, job_id: str, token: str | None = None) -> str:
    query = f"&token={token}" if token else ""
    return f"ws://{api.url.removeprefix('http://')}/jobs/{job_id}/ws?after=0{query}"


async def refused(url: str, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    """Open a socket that must be refused at the handshake; returns (HTTP status, JSON body)."""
    with pytest.raises(InvalidStatus) as caught:
        async with connect(url, additional_headers=headers, open_timeout=10):
            pass
    response = caught.value.response
    return response.status_code, json.loads(response.body or b"null")


async def test_socket_without_token_is_refused_before_accept(
    auth_api: AuthApi, alice_job: tuple[str, str]
) -> None:
    status, body = await refused(socket_url(auth_api, alice_job[0]))
    assert status == 401
    assert "missing bearer token" in body["detail"]


async def test_socket_with_wrong_token_is_refused(
    auth_api: AuthApi, alice_job: tuple[str, str]
) -> None:
    job_id = alice_job[0]
    assert await refused(socket_url(auth_api, job_id, "nope")) == (
        401,
        {"detail": "invalid token"},
    )
    status, _ = await refused(socket_url(auth_api, job_id), {"Authorization": "Bearer nope"})
    assert status == 401


async def test_socket_on_another_users_job_is_404(
    auth_api: AuthApi, alice_job: tuple[str, str]
) -> None:
    job_id = alice_job[0]
    expected = (404, {"detail": f"job {job_id!r} not found"})
    assert await refused(socket_url(auth_api, job_id, BOB)) == expected
    assert await refused(socket_url(auth_api, job_id), {"Authorization": f"Bearer {BOB}"}) == (
        expected
    )


async def test_own_socket_works_with_query_token_and_header(
    auth_api: AuthApi, alice_job: tuple[str, str]
) -> None:
    job_id, request_id = alice_job
    async with connect(socket_url(auth_api, job_id, ALICE), open_timeout=10) as conn:
        ws = JobSocket(conn)
        asked = await ws.until("text_input")
        assert asked["request_id"] == request_id
    headers = {"Authorization": f"Bearer {ALICE}"}
    async with connect(socket_url(auth_api, job_id), additional_headers=headers) as conn:
        ws = JobSocket(conn)
        await ws.until("text_input")
        await ws.send({"type": "input", "request_id": request_id, "value": "fractions"})
        assert (await ws.until("input_received"))["value"] == "fractions"
        await ws.send({"type": "cancel"})
        assert (await ws.until_end())["type"] == "workflow_cancelled"


async def test_socket_frames_cannot_reach_another_users_job(auth_api: AuthApi) -> None:
    """A frame names no job: it acts on the socket's own job only, whatever request it names."""
    mine, _ = waiting_job(auth_api)
    theirs = start(auth_api, BOB, "learning_chat")
    bob_request = wait_status(auth_api, BOB, theirs, "awaiting_input")["pending"]["request_id"]
    async with connect(socket_url(auth_api, mine, ALICE), open_timeout=10) as conn:
        ws = JobSocket(conn)
        await ws.until("text_input")
        await ws.send({"type": "input", "request_id": bob_request, "value": "hijack"})
        refusal = await ws.until("protocol_error")
        assert bob_request in refusal["detail"]
        await ws.send({"type": "cancel"})
        assert (await ws.until_end())["type"] == "workflow_cancelled"
    record = wait_status(auth_api, BOB, theirs, "awaiting_input")
    assert record["pending"]["request_id"] == bob_request
    with auth_api.client(BOB) as client:
        events = client.get(f"/jobs/{theirs}/events").json()["events"]
        assert "input_received" not in {event["type"] for event in events}
        assert client.post(f"/jobs/{theirs}/cancel").status_code == 200


async def test_a_refused_handshake_logs_no_error(
    auth_api: AuthApi, alice_job: tuple[str, str], logs_dir: Path
) -> None:
    """Anyone can knock with a wrong token: that must not write ERROR lines (uvicorn's
    websockets-sansio protocol logged one for every refused handshake)."""
    log = logs_dir / "api-test_auth_socket.log"
    before = log.read_text().count(" ERROR ")
    for _ in range(3):
        assert (await refused(socket_url(auth_api, alice_job[0], "nope")))[0] == 401
    assert (await refused(socket_url(auth_api, "no-such-job", ALICE)))[0] == 404
    text = log.read_text()
    assert text.count(" ERROR ") == before, text[-2000:]
    assert "handshake refused with an HTTP answer" in text
