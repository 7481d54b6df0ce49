"""Follow one job's events after a cursor, for the front ends that stream a job over HTTP
(AG-UI's SSE runs, MCP tool calls).

Like the job WebSockets (``backend.socket_harness``): subscribe to the live relay, replay the
log after the cursor, then hand on live events newer than the last one handed on, so nothing is
lost or doubled in between; a subscription that fell behind resyncs from the log.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, AsyncIterator

from agentjobs.protocol import is_after
from backend.event_log import CursorTooOld, EventPage, StoredEvent, read_page
from backend.relay import RESYNC, Subscription
from backend.services import Services
from backend.socket_harness import CATCH_UP_PAGE

log = logging.getLogger(__name__)

KEEP_ALIVE_SECONDS = 15.0
"""Silence past this (a human thinking, a slow model) yields an empty batch, so the stream can
send a keep-alive and proxies and clients keep it open."""
_QUIET: list[StoredEvent] = []
"""Yielded by ``Follower.batches`` when nothing came for ``KEEP_ALIVE_SECONDS``."""


class Follower:
    """Follows one job's events after a cursor: the log first, then the live relay."""

    def __init__(self, services: Services, job_id: str, after: str) -> None:
        self.services = services
        self.job_id = job_id
        self.last = after
        self.ended = False
        """True once nothing more will come: the terminal event was yielded, or the job is gone."""

    async def batches(self) -> AsyncGenerator[list[StoredEvent]]:
        """The events after the cursor in batches, oldest first, until the terminal event.

        An empty batch means silence (send a keep-alive). Ends without a terminal event only
        when the job is gone (deleted or expired). A cursor older than the log's first kept
        event (the log was trimmed) goes on from the oldest event kept.
        """
        async with self.services.relay.subscribe(self.job_id) as sub:
            while not self.ended:
                async for batch in self._catch_up():
                    yield batch
                if self.ended:
                    return
                async for batch in self._live(sub):
                    yield batch

    async def _catch_up(self) -> AsyncIterator[list[StoredEvent]]:
        # Read the record before the log: a job over by then has its terminal event in what
        # follows (one script writes both), so an empty read means "wait for live events".
        record = await self.services.store.get(self.job_id)
        more = True
        while more and not self.ended:
            page = await self._page()
            more = page.more
            if page.events:
                yield self._took(page.events)
        if record is None or record.status.is_terminal:
            self.ended = True

    async def _page(self) -> EventPage:
        settings = self.services.settings
        try:
            return await read_page(
                self.services.redis,
                self.job_id,
                self.last,
                CATCH_UP_PAGE,
                settings.catchup_page_bytes,
            )
        except CursorTooOld as exc:
            log.info("job %s: a follower goes on after trimmed events", self.job_id)
            self.last = exc.resume_after
            return EventPage([], more=True)

    async def _live(self, sub: Subscription) -> AsyncIterator[list[StoredEvent]]:
        """Live events newer than the last one sent, until the end or a resync."""
        while not self.ended:
            try:
                async with asyncio.timeout(KEEP_ALIVE_SECONDS):
                    event = await sub.get()
            except TimeoutError:
                yield _QUIET
                continue
            if event is RESYNC:
                return  # read the log again after the last event sent
            if is_after(event.id, self.last):
                yield self._took([event])

    def _took(self, events: list[StoredEvent]) -> list[StoredEvent]:
        self.last = events[-1].id
        self.ended = events[-1].is_terminal
        return events
