"""A full run with tokens in the header and in ``?token=``: no token reaches any log file."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect

from backend.auth import hash_token
from backend.log_redaction import REDACTED
from tests.support.client import JobSocket
from tests.support.stack import RedisServer, api_server, wait_until

HEADER_TOKEN = f"hdr-{secrets.token_urlsafe(24)}"
QUERY_TOKEN = f"qry-{secrets.token_urlsafe(24)}"
WRONG_TOKEN = f"bad-{secrets.token_urlsafe(24)}"


@pytest.fixture(scope="module")
def api_log(logs_dir: Path) -> Path:
    return logs_dir / "api-token-log.log"


@pytest.fixture(scope="module")
def token_api(
    redis_srv: RedisServer,
    worker_proc: None,
    api_log: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    # From a tokens file this time, one of them stored hashed.
    tokens = tmp_path_factory.mktemp("tokens") / "tokens"
    lines = ["# agentjobs users", f"{hash_token(HEADER_TOKEN)} frank", f"{QUERY_TOKEN} frank"]
    tokens.write_text("\n".join(lines) + "\n")
    with api_server(redis_srv.url, api_log, AGENTJOBS_API_TOKENS_FILE=str(tokens)) as url:
        yield url


async def test_tokens_never_reach_the_api_or_worker_logs(
    token_api: str, api_log: Path, logs_dir: Path, redis_srv: RedisServer
) -> None:
    headers = {"Authorization": f"Bearer {HEADER_TOKEN}"}
    query = {"token": QUERY_TOKEN}
    async with httpx.AsyncClient(base_url=token_api, timeout=10) as http:
        created = await http.post("/jobs", json={"workflow": "learning_chat"}, headers=headers)
        assert created.status_code == 202, created.text
        job_id = created.json()["job_id"]
        socket = f"ws://{token_api.removeprefix('http://')}/jobs/{job_id}/ws?token={QUERY_TOKEN}"
        async with connect(socket, open_timeout=10) as conn:
            ws = JobSocket(conn)
            asked = await ws.until("text_input")
            await ws.send({"type": "input", "request_id": asked["request_id"], "value": "tides"})
            assert (await ws.until_end())["type"] == "workflow_completed"
        assert (await http.get(f"/jobs/{job_id}/events", params=query)).status_code == 200
        assert (await http.get(f"/jobs/{job_id}", headers=headers)).json()["user"] == "frank"
        refused = await http.get("/jobs", params={"token": WRONG_TOKEN})
        assert refused.status_code == 401
        assert WRONG_TOKEN not in refused.text

    assert_no_token_logged(job_id, api_log, logs_dir / "worker.log")
    assert_no_token_stored(job_id, redis_srv)


def assert_no_token_logged(job_id: str, api_log: Path, worker_log: Path) -> None:
    finished = f"[{job_id}] succeeded"
    wait_until(lambda: finished in worker_log.read_text(), 10, "the worker's log of the run")
    wait_until(lambda: "GET /jobs?token=" in api_log.read_text(), 10, "the API's access log")
    api_text, worker_text = api_log.read_text(), worker_log.read_text()

    # The requests were logged, with their token values redacted...
    assert f"/jobs/{job_id}/ws?token={REDACTED}" in api_text
    assert f"/jobs/{job_id}/events?token={REDACTED}" in api_text
    assert f"/jobs?token={REDACTED}" in api_text
    assert job_id in worker_text
    # ... and no token, right or wrong, appears anywhere.
    for token in (HEADER_TOKEN, QUERY_TOKEN, WRONG_TOKEN):
        assert token not in api_text
        assert token not in worker_text
        assert token[4:] not in api_text + worker_text  # not even without its prefix


def assert_no_token_stored(job_id: str, redis_srv: RedisServer) -> None:
    store = redis_srv.client()
    stored = str(store.hgetall(f"agentjobs:job:{{{job_id}}}"))
    stored += str(store.xrange(f"agentjobs:job:{{{job_id}}}:events"))
    assert HEADER_TOKEN not in stored
    assert QUERY_TOKEN not in stored


SPELLINGS = ("%74oken", "tok%65n", "%54%4F%4B%45%4E", "TOKEN", "Token", "to%6Ben", "tok+en")
"""Spellings of the parameter name that a filter matching the literal ``token=`` misses."""


async def test_no_spelling_of_the_parameter_gets_a_token_into_the_log(
    token_api: str, api_log: Path
) -> None:
    # The server percent-decodes names: %74oken and tok%65n are the token parameter itself.
    async with httpx.AsyncClient(base_url=token_api, timeout=10) as http:
        accepted = await http.get(f"/jobs?%74oken={QUERY_TOKEN}")
        assert accepted.status_code == 200
        created = await http.post(f"/jobs?tok%65n={QUERY_TOKEN}", json={"workflow": "chatty"})
        assert created.status_code == 202, created.text
        job_id = created.json()["job_id"]
        assert (await http.get(f"/jobs/{job_id}?%74oken={QUERY_TOKEN}")).json()["user"] == "frank"
        for n, name in enumerate(SPELLINGS):
            await http.get(f"/workflows?{name}={QUERY_TOKEN}&n=spelling{n}")
    host = token_api.removeprefix("http://")
    async with connect(f"ws://{host}/jobs/{job_id}/ws?tok%65n={QUERY_TOKEN}") as conn:
        assert (await JobSocket(conn).until_end())["type"] == "workflow_completed"
    async with connect(f"ws://{host}/jobs/{job_id}/ws?%74oken={HEADER_TOKEN}&n=ws-last") as conn:
        await JobSocket(conn).until_end()

    wait_until(lambda: "n=ws-last" in api_log.read_text(), 10, "the API's log of the last socket")
    text = await asyncio.to_thread(api_log.read_text)
    for n, name in enumerate(SPELLINGS):
        assert f"/workflows?{name}={REDACTED}&n=spelling{n}" in text  # logged, value redacted
    for token in (HEADER_TOKEN, QUERY_TOKEN):
        assert token[4:] not in text
