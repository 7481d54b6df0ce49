"""The cap on job streams per user, counted in Redis across every API process.

Each open job socket (``/jobs/{id}/ws`` or ``/fastagency/ws``), each AG-UI run's SSE stream
(``POST /ag-ui/{workflow}``) and each MCP request in progress (``POST /mcp``: a tool call lasts
as long as its job) holds a slot: a member of the user's
sorted set scored by when it lapses. The socket renews it every ``SLOT_TTL_MS / 3`` while it
is open and gives it back when it closes; a slot of an API process that died (no close, no
renewal) lapses after ``SLOT_TTL_MS``, so a crash blocks nobody for longer than that.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator

from fastapi import HTTPException
from redis.exceptions import RedisError
from starlette.websockets import WebSocket

from agentjobs.scripts.socket_slot import release_socket_slot, take_socket_slot
from backend.services import Services
from backend.socket_handshake import deny_handshake

log = logging.getLogger(__name__)

SLOT_TTL_MS = 60_000
"""How long a slot counts without renewal: what a crashed API process's sockets cost."""


def too_many_sockets(cap: int) -> str:
    """The words of a refusal at the cap."""
    return (
        f"you have {cap} job streams open (WebSockets, AG-UI runs, MCP calls) and the limit "
        f"is {cap}: close one (a stream follows one job; several jobs' events are also on "
        "GET /jobs/{id}/events)"
    )


@contextlib.asynccontextmanager
async def socket_slot(services: Services, user: str) -> AsyncIterator[bool]:
    """Hold one of ``user``'s socket slots for the block; yields False (holding none) when the
    user is at ``max_sockets_per_user`` already. Redis errors taking the slot propagate."""
    cap = services.settings.max_sockets_per_user
    if cap == 0:
        yield True
        return
    member = uuid.uuid4().hex
    taken = await take_socket_slot(
        services.redis, user=user, member=member, cap=cap, ttl_ms=SLOT_TTL_MS
    )
    if not taken.taken:
        log.info("user %s is at the cap of %d open sockets: handshake refused", user, cap)
        yield False
        return
    renewer = asyncio.create_task(_renew(services, user, member), name="socket-slot")
    try:
        yield True
    finally:
        renewer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await renewer
        with contextlib.suppress(RedisError, OSError):  # it lapses by itself then
            await release_socket_slot(services.redis, user=user, member=member)


@contextlib.asynccontextmanager
async def admitted_socket(
    websocket: WebSocket, services: Services, user: str
) -> AsyncIterator[bool]:
    """``socket_slot`` for a handshake: at the cap the handshake is refused (HTTP 429 naming
    the limit) and the block gets False, to return at once."""
    async with socket_slot(services, user) as admitted:
        if not admitted:
            await deny_handshake(
                websocket, 429, too_many_sockets(services.settings.max_sockets_per_user)
            )
        yield admitted


async def stream_slot(services: Services, user: str) -> contextlib.AsyncExitStack:
    """One of ``user``'s slots for an HTTP stream (an AG-UI run), held until the returned stack
    is closed; HTTP 429 naming the limit when the user is at the cap."""
    held = contextlib.AsyncExitStack()
    if not await held.enter_async_context(socket_slot(services, user)):
        await held.aclose()
        raise HTTPException(429, too_many_sockets(services.settings.max_sockets_per_user))
    return held


async def _renew(services: Services, user: str, member: str) -> None:
    """Keep the slot from lapsing; a renewal also puts it back after Redis lost it."""
    cap = services.settings.max_sockets_per_user
    while True:
        await asyncio.sleep(SLOT_TTL_MS / 3000)
        try:
            await take_socket_slot(
                services.redis, user=user, member=member, cap=cap, ttl_ms=SLOT_TTL_MS, renew=True
            )
        except (RedisError, OSError) as exc:
            log.info("could not renew a socket slot (it may lapse): %r", exc)
