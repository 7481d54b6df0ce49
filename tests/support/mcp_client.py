"""The official ``mcp`` client against agentjobs' ``/mcp``: sessions, and a transport that
sends each HTTP request to the next of several API processes."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx2
from mcp import Client, ClientSession
from mcp.client.session import ClientRequestContext, ElicitationFnT
from mcp.client.streamable_http import streamable_http_client
from mcp.types import (
    CallToolResult,
    ElicitRequestParams,
    ElicitResult,
    ErrorData,
    LoggingMessageNotificationParams,
)


class RoundRobin(httpx2.AsyncBaseTransport):
    """Sends every request to the next port in turn (a different API process each time)."""

    def __init__(self, ports: Sequence[int]) -> None:
        self._next = itertools.cycle(ports)
        self._inner = httpx2.AsyncHTTPTransport()
        self.used: list[int] = []
        """The port each request went to, in order."""

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        port = next(self._next)
        self.used.append(port)
        request.url = request.url.copy_with(port=port)
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


def http_client(
    token: str | None = None, transport: RoundRobin | None = None
) -> httpx2.AsyncClient:
    """An HTTP client for the MCP transport, with the bearer token when given."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    timeout = httpx2.Timeout(30, read=60)
    return httpx2.AsyncClient(headers=headers, timeout=timeout, transport=transport)


@asynccontextmanager
async def legacy_session(
    base_url: str, token: str | None = None, transport: RoundRobin | None = None
) -> AsyncIterator[ClientSession]:
    """A ``ClientSession`` over streamable HTTP on the 2025 handshake (``initialize``), with no
    elicitation capability (what many assistants speak today)."""
    async with (
        http_client(token, transport) as client,
        streamable_http_client(f"{base_url}/mcp", http_client=client) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        yield session


@dataclass
class Seen:
    """What the client was told along the way: questions, progress lines and log entries."""

    questions: list[ElicitRequestParams] = field(default_factory=list)
    progress: list[str] = field(default_factory=list)
    logs: list[Any] = field(default_factory=list)

    async def on_progress(self, progress: float, total: float | None, message: str | None) -> None:
        del progress, total  # the SDK passes them by name: the names must stay
        self.progress.append(message or "")

    async def on_log(self, params: LoggingMessageNotificationParams) -> None:
        self.logs.append(params.data)


def answering(seen: Seen, answer: str | list[str], action: str = "accept") -> ElicitationFnT:
    """An elicitation callback that meets every question with ``action`` (and ``answer``)."""

    async def callback(
        context: ClientRequestContext, params: ElicitRequestParams
    ) -> ElicitResult | ErrorData:
        del context  # named as the SDK's protocol names it
        seen.questions.append(params)
        if action != "accept":
            return ElicitResult(action=action)  # type: ignore[arg-type]
        return ElicitResult(action="accept", content={"answer": answer})

    return callback


@asynccontextmanager
async def modern_client(
    base_url: str,
    seen: Seen,
    elicitation: ElicitationFnT | None = None,
    token: str | None = None,
    transport: RoundRobin | None = None,
) -> AsyncIterator[Client]:
    """An ``mcp.Client`` (a ``ClientSession`` over streamable HTTP) on protocol 2026-07-28,
    opted in to log messages, with ``elicitation`` as its elicitation callback when given."""
    async with http_client(token, transport) as client:
        stream = streamable_http_client(f"{base_url}/mcp", http_client=client)
        async with Client(
            stream,
            elicitation_callback=elicitation,
            logging_callback=seen.on_log,
            log_level="info",
            cache=None,
        ) as mcp_client:
            yield mcp_client


def structured(result: CallToolResult) -> dict[str, Any]:
    """The structured content of a tool result (agentjobs always sends one for a job)."""
    assert result.structured_content is not None, result
    return dict(result.structured_content)


def text(result: CallToolResult) -> str:
    """The text of a tool result's first content block."""
    first = result.content[0]
    assert first.type == "text", first
    return first.text
