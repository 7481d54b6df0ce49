"""The model-rate script: global requests and tokens per period per model, for every worker.

Requests follow GCRA with a burst of one: a call may start once ``interval`` has passed since
the last start of any worker's call to the model, and it takes its start at the moment it is
about to send (a slot reserved ahead would let a call that wakes late crowd the next period),
so no window of a period sees more than the limit plus the one call on its edge. Tokens are
only known once a call is done: each call's tokens are charged afterwards as debt that drains
at the token rate, and no call starts while more than a period's worth is owed.
"""

from __future__ import annotations

from redis.asyncio import Redis

from agentjobs import keys
from agentjobs.model_limits import ModelRate
from agentjobs.scripts.lua_script import LuaScript

MODEL_RATE = LuaScript(
    "model_rate",
    """
-- KEYS: requests (next free slot, ms), tokens (when the token debt is paid off, ms)
-- ARGV: mode ('take' | 'charge'), request interval ms (0: none), ms per token (0: none),
--       token period ms, tokens (charge only)
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local interval, per_token, period = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local paid = tonumber(redis.call('GET', KEYS[2]) or now)
if paid < now then paid = now end
if ARGV[1] == 'charge' then
  paid = paid + tonumber(ARGV[5]) * per_token
  redis.call('SET', KEYS[2], string.format('%.3f', paid), 'PX', math.ceil(paid - now) + 1000)
  return 0
end
-- take: start now if the model has room (returns 0), else say how long until it may (ms).
if per_token > 0 and paid - period > now then return math.ceil(paid - period - now) end
if interval > 0 then
  local next_start = tonumber(redis.call('GET', KEYS[1]) or 0)
  if next_start > now then return math.ceil(next_start - now) end
  local after = now + interval
  redis.call('SET', KEYS[1], string.format('%.3f', after), 'PX', math.ceil(interval) + 1000)
end
return 0
""",
)


async def take_model_slot(redis: Redis, model: str, rate: ModelRate) -> int:
    """Start a call of ``model`` under ``rate`` now (0), or the ms until one may start."""
    raw = await MODEL_RATE.run(
        redis,
        keys=[keys.model_rate(model), keys.model_tokens(model)],
        args=["take", repr(rate.request_interval_ms), repr(rate.ms_per_token), _period(rate)],
    )
    return max(0, int(raw))


async def charge_model_tokens(redis: Redis, model: str, rate: ModelRate, tokens: int) -> None:
    """Count a finished call's ``tokens`` against ``model``'s token limit."""
    if not rate.ms_per_token or tokens <= 0:
        return
    await MODEL_RATE.run(
        redis,
        keys=[keys.model_rate(model), keys.model_tokens(model)],
        args=["charge", "0", repr(rate.ms_per_token), _period(rate), tokens],
    )


def _period(rate: ModelRate) -> int:
    return rate.token_seconds * 1000
