"""One Lua script run by its SHA: ``EVALSHA``, loading the text only when the server lacks it."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import NoScriptError

Arg = str | int | float
"""One ARGV value; Redis receives every one as a string."""


class LuaScript:
    """A script defined once per process and run on any client, one ``EVALSHA`` per call.

    The same round trips as redis-py's ``register_script``, without a client to bind to: the SHA
    is computed here once, and a server that does not know it yet (a fresh or restarted Redis)
    answers ``NOSCRIPT``, so the text is loaded and the call sent again.
    """

    def __init__(self, name: str, text: str) -> None:
        # ASCII only, so the SHA is the server's whatever encoding a client is configured with.
        if not text.isascii():
            raise ValueError(f"script {name} must be ASCII")
        self.name = name
        self.text = text
        self.sha = hashlib.sha1(text.encode("ascii")).hexdigest()

    async def run(self, redis: Redis, *, keys: Sequence[str], args: Sequence[Arg]) -> Any:
        """Run the script with ``keys`` as KEYS and ``args`` as ARGV; returns its raw reply."""
        try:
            return await redis.evalsha(self.sha, len(keys), *keys, *args)
        except NoScriptError:
            await redis.script_load(self.text)
            return await redis.evalsha(self.sha, len(keys), *keys, *args)
