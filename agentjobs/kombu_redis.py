"""kombu's Redis transport with one Redis client per channel, not one per command.

Stock kombu wraps its connection pool in a new ``redis.Redis`` for every publish, ack and event
(``Channel.conn_or_acquire``); redis-py builds its table of ~170 response callbacks in each
constructor, so an agentjobs run paid ~0.3 ms of CPU for each of the half-dozen it made (task
message, sent event, the worker's received/started/succeeded events, the ack): about a quarter
of ``send_task`` (docs/benchmarks.md). A client over a pool is thread-safe, so one per channel
is shared; a channel whose pool was replaced (after a reconnect) gets a new one.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from kombu.transport import redis as kombu_redis

TRANSPORT = f"{__name__}:Transport"
"""Celery's ``broker_transport`` for a ``redis://`` or ``rediss://`` broker URL."""


class Channel(kombu_redis.Channel):
    """The stock channel, reusing one client for the commands it sends on its own."""

    _own_client: Any = None

    @contextmanager
    def conn_or_acquire(self, client: Any = None) -> Iterator[Any]:
        """``client`` when given, else the channel's shared client over its current pool."""
        if client:
            yield client
            return
        own = self._own_client
        if own is None or own.connection_pool is not self.pool:
            own = self._own_client = self._create_client()  # type: ignore[no-untyped-call]
        yield own


class Transport(kombu_redis.Transport):
    """The stock Redis transport with ``Channel`` above."""

    Channel = Channel
