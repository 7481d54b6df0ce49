"""``BodySizeLimit``: oversized bodies get 413 before the app reads them; others pass intact."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from backend.limits import BodySizeLimit

LIMIT = 100


class EchoApp:
    """Answers with the length of the body it read; counts the requests it saw."""

    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.calls += 1
        body = await Request(scope, receive).body()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": str(len(body)).encode()})


def _client(app: EchoApp) -> httpx.AsyncClient:
    wrapped = BodySizeLimit(app, max_bytes=LIMIT)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=wrapped), base_url="http://t")


async def _chunks(total: int) -> AsyncIterator[bytes]:
    for _ in range(total // 10):
        yield b"x" * 10


async def test_a_declared_oversized_body_is_refused_unread() -> None:
    app = EchoApp()
    async with _client(app) as client:
        response = await client.post("/", content=b"x" * (LIMIT + 1))
    assert response.status_code == 413
    assert str(LIMIT) in response.json()["detail"]
    assert app.calls == 0


async def test_bodies_within_the_limit_pass_intact() -> None:
    app = EchoApp()
    async with _client(app) as client:
        exact = await client.post("/", content=b"x" * LIMIT)
        streamed = await client.post("/", content=_chunks(LIMIT))
        empty = await client.get("/")
    assert (exact.status_code, exact.text) == (200, str(LIMIT))
    assert (streamed.status_code, streamed.text) == (200, str(LIMIT))
    assert (empty.status_code, empty.text) == (200, "0")


async def test_a_streamed_body_is_refused_once_it_passes_the_limit() -> None:
    app = EchoApp()
    async with _client(app) as client:
        response = await client.post("/", content=_chunks(LIMIT * 3))
    assert response.status_code == 413
    assert app.calls == 0
