"""kombu's Redis transport with one Redis client per channel, not one per command; and a
channel that captures a publish's Redis commands instead of sending them.

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
CAPTURE_TRANSPORT = f"{__name__}:CaptureTransport"
"""The transport of a connection whose publishes are captured (``CaptureChannel``)."""

RedisCommand = tuple[str, tuple[Any, ...]]
"""A Redis command kombu would send for a publish: its name (``lpush``, ``publish``) and args."""


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


class CapturedPublishes:
    """A kombu publish batch (the session of ``Producer.batch()``) that keeps the final Redis
    commands of each publish, exactly as the channel would send them, and sends nothing."""

    def __init__(self, channel: CaptureChannel) -> None:
        self.channel = channel
        self.commands: list[RedisCommand] = []
        self._collecting: list[RedisCommand] | None = None

    def publish(self, message: dict[str, Any], **kwargs: Any) -> Any:
        """Route ``message`` as the channel does, keeping its commands."""
        self._collecting = []
        try:
            return self.channel.basic_publish(message, _publish_batch=self, **kwargs)  # type: ignore[no-untyped-call]
        finally:
            self.commands.extend(self._collecting)
            self._collecting = None

    def add(self, name: str, *args: Any) -> None:
        """kombu's hook: one final command of the message being routed."""
        if self._collecting is None:
            raise RuntimeError("a Redis command was added outside a publish")
        self._collecting.append((name, args))

    def flush(self) -> None:
        """Nothing to send: the commands are the caller's to run."""

    def discard(self) -> None:
        """The batch failed: keep nothing of it."""
        self.commands.clear()

    def close(self) -> None:
        """Nothing was opened."""


class CaptureChannel(Channel):
    """A channel whose publishes, made inside ``Producer.batch()``, are captured in
    ``captured`` (the last batch's) instead of sent. Any Redis command it would send itself
    (declaring a binding, a publish outside a batch) raises: capturing never waits on I/O, so
    it is safe on an event loop. Creating the channel pings Redis once: create it off the loop.
    """

    captured: CapturedPublishes | None = None
    supports_batch_publish = True

    def create_publish_batch(self, max_size: int) -> CapturedPublishes:
        """A new capture for the batch being opened."""
        self.captured = CapturedPublishes(self)
        return self.captured

    @contextmanager
    def conn_or_acquire(self, client: Any = None) -> Iterator[Any]:
        """Refuse: a capturing channel sends nothing."""
        raise RuntimeError("a capturing kombu channel was asked to send a Redis command")
        yield  # pragma: no cover - a generator, for contextmanager


class CaptureTransport(Transport):
    """The Redis transport with ``CaptureChannel``."""

    Channel = CaptureChannel
