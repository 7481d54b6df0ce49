"""The socket-slot script: take, or renew, one of a user's slots for open job WebSockets."""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis

from agentjobs import keys
from agentjobs.scripts.lua_script import LuaScript

SOCKET_SLOT = LuaScript(
    "socket_slot",
    """
-- Take a slot for one socket (member), unless the user holds cap unlapsed slots already; a
-- slot the member holds, or a renewal, is just extended. Slots lapse unless renewed, so a
-- crashed API process's sockets stop counting after one ttl.
-- KEYS: user_sockets
-- ARGV: member, cap (0: no limit), ttl_ms, renew ('1': take it whatever the count)
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local cap, ttl = tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local open = redis.call('ZCARD', KEYS[1])
local held = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not held and ARGV[4] ~= '1' and cap > 0 and open >= cap then
  return {0, open}
end
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
redis.call('PEXPIRE', KEYS[1], ttl)
if not held then open = open + 1 end
return {1, open}
""",
)


@dataclass(frozen=True)
class SlotResult:
    """The socket-slot script's answer."""

    taken: bool
    """The socket holds its slot now (False: the user is at the cap)."""
    open: int
    """The user's sockets counted, this one included when taken."""


async def take_socket_slot(
    redis: Redis, *, user: str, member: str, cap: int, ttl_ms: int, renew: bool = False
) -> SlotResult:
    """Take (or with ``renew``, extend whatever the count) ``member``'s slot among ``user``'s
    open sockets, at most ``cap`` of them (0: no limit), lapsing after ``ttl_ms``."""
    raw = await SOCKET_SLOT.run(
        redis,
        keys=[keys.user_sockets(user)],
        args=[member, cap, ttl_ms, "1" if renew else "0"],
    )
    return SlotResult(taken=bool(raw[0]), open=int(raw[1]))


async def release_socket_slot(redis: Redis, *, user: str, member: str) -> None:
    """Give ``member``'s slot back (a plain ``ZREM``: nothing to decide atomically)."""
    await redis.zrem(keys.user_sockets(user), member)
