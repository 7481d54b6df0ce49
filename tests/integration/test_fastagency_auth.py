"""FastAgency routes with tokens configured (header or ``?token=``), and switched off."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.support.fastagency_env import fastagency_client
from tests.support.fastagency_wire import fastagency_run, ws_base
from tests.support.stack import RedisServer, api_server

pytestmark = pytest.mark.heavy

TOKEN = "fa-secret-alice"
INITIATE = {"workflow_name": "learning_chat", "workflow_uuid": "0" * 32, "params": {}}


@pytest.fixture(scope="module")
def token_api(redis_srv: RedisServer, api_url: str, logs_dir: Path) -> Iterator[str]:
    """An API with one token (user alice), on the session worker's database."""
    log = logs_dir / "fastagency-auth-api.log"
    with api_server(redis_srv.url, log, AGENTJOBS_API_TOKENS=f"{TOKEN}:alice") as url:
        yield url


@pytest.mark.parametrize(
    ("headers", "query", "status"),
    [
        ({}, "", 401),
        ({}, "?token=wrong", 401),
        ({}, f"?token={TOKEN}", 200),
        ({"Authorization": f"Bearer {TOKEN}"}, "", 200),
    ],
)
def test_discovery_and_initiate_take_the_token_like_every_route(
    token_api: str, headers: dict[str, str], query: str, status: int
) -> None:
    for path in ("/fastagency/discovery", "//fastagency/discovery"):
        assert httpx.get(token_api + path + query, headers=headers).status_code == status
    initiate = httpx.post(
        f"{token_api}/fastagency/initiate_workflow{query}", json=INITIATE, headers=headers
    )
    assert initiate.status_code == status
    if status == 200:
        assert initiate.json()["user_id"] == "alice"


async def test_the_socket_is_refused_before_the_handshake_without_a_token(token_api: str) -> None:
    with pytest.raises(InvalidStatus) as refused:
        async with connect(f"{ws_base(token_api)}/fastagency/ws", open_timeout=10):
            pass
    assert refused.value.response.status_code == 401


async def test_a_run_with_the_token_in_the_query_is_the_token_users_job(token_api: str) -> None:
    async with fastagency_run(token_api, "secret_echo", query=f"?token={TOKEN}") as ws:
        await ws.until("text_input")
        await ws.answer("hunter2")
        done = await ws.until("workflow_completed")
        assert await ws.close_code() == 1000
    assert done["content"]["result"] == "got a token of 7 characters"
    async with httpx.AsyncClient(base_url=token_api, timeout=10) as http:
        record = await http.get(f"/jobs/{ws.job_id}", headers={"Authorization": f"Bearer {TOKEN}"})
        assert record.status_code == 200 and record.json()["user"] == "alice"
        assert (await http.get(f"/jobs/{ws.job_id}")).status_code == 401


def test_fastagency_provider_passes_the_token_in_its_paths(token_api: str) -> None:
    found = fastagency_client("discover", token_api, f"--token={TOKEN}")
    assert "learning_chat" in found["names"]
    out = fastagency_client("run", token_api, "secret_echo", "{}", '["s3cret"]', f"--token={TOKEN}")
    assert out["error"] is None, out
    assert out["messages"][-1]["dump"]["content"]["result"] == "got a token of 6 characters"


async def test_the_routes_can_be_switched_off(redis_srv: RedisServer, logs_dir: Path) -> None:
    log = logs_dir / "fastagency-off-api.log"
    with api_server(redis_srv.url, log, AGENTJOBS_FASTAGENCY_ROUTES="false") as url:
        async with httpx.AsyncClient(base_url=url, timeout=10) as http:
            assert (await http.get("/fastagency/discovery")).status_code == 404
            assert (await http.get("/workflows")).status_code == 200
        with pytest.raises(InvalidStatus):
            async with connect(f"{ws_base(url)}/fastagency/ws", open_timeout=10):
                pass
