"""The rate-limit script: one GCRA step (generic cell rate algorithm) on a per-key rate."""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis

from agentjobs.scripts.lua_script import LuaScript

RATE_LIMIT = LuaScript(
    "rate_limit",
    """
-- GCRA: one request per interval on average, up to burst at once. The key holds the
-- theoretical arrival time (TAT, ms, Redis clock) and expires once it is in the past.
-- KEYS: the limited key
-- ARGV: interval_ms, burst, take ('1': count this request; '0': only tell whether it fits)
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local allowed_at = tat - (burst - 1) * interval
if now < allowed_at then return {0, allowed_at - now} end
if ARGV[3] == '1' then
  local new = tat + interval
  redis.call('SET', KEYS[1], string.format('%d', new), 'PX', new - now)
end
return {1, 0}
""",
)


@dataclass(frozen=True)
class RateResult:
    """The rate-limit script's answer."""

    allowed: bool
    retry_after_ms: int
    """When refused: how long until a request fits again (0 when allowed)."""


async def rate_limit(
    redis: Redis, key: str, *, interval_ms: int, burst: int, take: bool = True
) -> RateResult:
    """Count one request against ``key``'s rate (one per ``interval_ms`` on average, ``burst``
    at once), or with ``take=False`` only tell whether one would fit now."""
    raw = await RATE_LIMIT.run(redis, keys=[key], args=[interval_ms, burst, "1" if take else "0"])
    return RateResult(allowed=bool(raw[0]), retry_after_ms=int(raw[1]))
