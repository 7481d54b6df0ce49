"""``LuaScript`` runs with one EVALSHA per call and loads its text only when Redis lacks it."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from agentjobs.scripts.lua_script import LuaScript

ECHO = LuaScript("echo", "return {KEYS[1], ARGV[1], ARGV[2]}")


async def _calls(redis: Redis) -> dict[str, int]:
    stats = await redis.info("commandstats")

    def calls(name: str) -> int:
        return int(stats.get(f"cmdstat_{name}", {}).get("calls", 0))

    # Redis 7 counts SCRIPT LOAD as its own entry; Redis 6 only as SCRIPT.
    return {"evalsha": calls("evalsha"), "script|load": calls("script|load") or calls("script")}


async def test_a_known_script_costs_one_evalsha(redis: Redis) -> None:
    await ECHO.run(redis, keys=["k"], args=[1, 2.5])  # loaded, whatever ran before
    before = await _calls(redis)
    assert await ECHO.run(redis, keys=["k"], args=["a", 3]) == ["k", "a", "3"]
    after = await _calls(redis)
    assert after["evalsha"] == before["evalsha"] + 1
    assert after["script|load"] == before["script|load"]


async def test_a_server_without_the_script_gets_it_loaded_once(redis: Redis) -> None:
    await redis.script_flush()
    before = await _calls(redis)
    assert await ECHO.run(redis, keys=["k"], args=["a", "b"]) == ["k", "a", "b"]
    assert await ECHO.run(redis, keys=["k"], args=["c", "d"]) == ["k", "c", "d"]
    after = await _calls(redis)
    assert after["script|load"] == before["script|load"] + 1
    assert after["evalsha"] == before["evalsha"] + 3  # the refused one, its retry, the next
    assert (await redis.script_exists(ECHO.sha)) == [True]


def test_a_script_must_be_ascii() -> None:
    with pytest.raises(ValueError, match="ASCII"):
        LuaScript("bad", "return '\u00e9'")
