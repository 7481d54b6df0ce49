"""The live relay: one pub/sub connection per API process, fanned out to every local watcher.

The event log (a Redis Stream) is the source of truth; pub/sub only makes delivery fast. A
watcher that falls behind, or a relay whose connection dropped, is told to resync and reads
the log after its last cursor instead, so nothing is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from redis.asyncio import Redis
from redis.exceptions import RedisError

from agentjobs import keys
from backend.event_log import StoredEvent

log = logging.getLogger(__name__)

RESYNC = None
"""Queued to a subscription instead of an event: read the log after your last cursor."""
_IDLE_CHANNEL = f"{keys.PREFIX}:relay:idle"
_CONFIRM_TIMEOUT = 5.0


class Subscription:
    """One watcher's queue of live events for one job, bounded in events and in bytes."""

    def __init__(self, maxsize: int, max_bytes: int | None = None) -> None:
        self._queue: asyncio.Queue[StoredEvent | None] = asyncio.Queue(maxsize)
        self._max_bytes = max_bytes
        self._bytes = 0
        """The queued events' JSON, in characters."""

    def push(self, event: StoredEvent | None) -> None:
        """Queue a live event; past either bound, drop what is queued and ask for a resync (an
        event larger than the bytes' bound is queued when it comes alone)."""
        size = 0 if event is None else len(event.json)
        limit = self._max_bytes
        if not (limit is not None and self._bytes and self._bytes + size > limit):
            try:
                self._queue.put_nowait(event)
            except asyncio.QueueFull:
                pass
            else:
                self._bytes += size
                return
        while not self._queue.empty():
            self._queue.get_nowait()
        self._bytes = 0
        self._queue.put_nowait(RESYNC)

    async def get(self) -> StoredEvent | None:
        """The next live event, or ``RESYNC``."""
        return self._taken(await self._queue.get())

    @property
    def pending(self) -> bool:
        """An event (or ``RESYNC``) is queued: ``get`` returns it without waiting."""
        return not self._queue.empty()

    def take_queued(self) -> list[StoredEvent | None]:
        """Every event (or ``RESYNC``) queued now, in order, without waiting."""
        queued = []
        while not self._queue.empty():
            queued.append(self._taken(self._queue.get_nowait()))
        return queued

    def _taken(self, event: StoredEvent | None) -> StoredEvent | None:
        if event is not None:
            self._bytes -= len(event.json)
        return event


class LiveRelay:
    """Subscribes to a job's live channel while at least one local watcher wants it."""

    def __init__(self, redis: Redis, queue_size: int, queue_bytes: int | None = None) -> None:
        self._pubsub = redis.pubsub()
        self._queue_size = queue_size
        self._queue_bytes = queue_bytes
        self._subscribers: dict[str, set[Subscription]] = {}
        self._confirmations: dict[str, asyncio.Future[None]] = {}
        self._lock = asyncio.Lock()
        self._reader: asyncio.Task[None] | None = None
        self._idle_confirmed = False

    async def start(self) -> None:
        """Open the pub/sub connection and start reading it."""
        # An idle subscription keeps the connection open while no job is watched.
        await self._pubsub.subscribe(_IDLE_CHANNEL)
        self._reader = asyncio.create_task(self._read_forever(), name="agentjobs-relay")

    async def stop(self) -> None:
        """Stop reading and close the connection."""
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        await self._pubsub.aclose()  # type: ignore[no-untyped-call]

    @property
    def watched_jobs(self) -> int:
        """How many jobs this process is subscribed to."""
        return len(self._subscribers)

    @contextlib.asynccontextmanager
    async def subscribe(self, job_id: str) -> AsyncIterator[Subscription]:
        """Receive a job's live events; returns once Redis has confirmed the subscription."""
        sub = Subscription(self._queue_size, self._queue_bytes)
        channel = keys.live(job_id)
        async with self._lock:
            watchers = self._subscribers.setdefault(job_id, set())
            watchers.add(sub)
            if len(watchers) == 1:
                confirmed = asyncio.get_running_loop().create_future()
                self._confirmations[channel] = confirmed
                await self._pubsub.subscribe(channel)
            pending = self._confirmations.get(channel)
        try:
            if pending is not None:
                # Not wait_for: on Python 3.11 it swallows a cancellation that arrives as the
                # future completes, and the socket's pump would then never stop.
                async with asyncio.timeout(_CONFIRM_TIMEOUT):
                    await asyncio.shield(pending)
            yield sub
        finally:
            async with self._lock:
                watchers.discard(sub)
                if not watchers and self._subscribers.get(job_id) is watchers:
                    del self._subscribers[job_id]
                    with contextlib.suppress(RedisError):
                        await self._pubsub.unsubscribe(channel)

    async def _read_forever(self) -> None:
        while True:
            try:
                await self._read()
            except (RedisError, OSError):
                log.warning("live relay lost Redis; watchers resync from the log", exc_info=True)
                self._resync_everyone()
                await asyncio.sleep(0.5)

    async def _read(self) -> None:
        async for message in self._pubsub.listen():
            kind = message["type"]
            channel = _text(message["channel"])
            if kind == "message" and channel != _IDLE_CHANNEL:
                events = StoredEvent.all_from_live(_text(message["data"]))
                for sub in self._subscribers.get(keys.job_id_from_live_channel(channel), ()):
                    for event in events:
                        sub.push(event)
            elif kind == "subscribe":
                self._subscribed(channel)

    def _subscribed(self, channel: str) -> None:
        """A subscription confirmed: the first one of a watched job, or a resubscription.

        redis-py's PubSub, under the pool's retry, reconnects and resubscribes inside the
        read itself: no error reaches us, and whatever was published while it was away is
        gone. Every confirmation nobody waits for is such a resubscription, so its watchers
        (all of them, for the idle channel that every reconnect resubscribes first) resync.
        """
        confirmed = self._confirmations.pop(channel, None)
        if confirmed is not None:
            if not confirmed.done():
                confirmed.set_result(None)
            return
        if channel == _IDLE_CHANNEL:
            if self._idle_confirmed:
                log.info("live relay resubscribed after a reconnect; watchers resync")
                self._resync_everyone()
            self._idle_confirmed = True
            return
        for sub in self._subscribers.get(keys.job_id_from_live_channel(channel), ()):
            sub.push(RESYNC)

    def _resync_everyone(self) -> None:
        for watchers in self._subscribers.values():
            for sub in watchers:
                sub.push(RESYNC)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
