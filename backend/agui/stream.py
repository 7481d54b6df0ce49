"""One AG-UI run as an SSE body: the job's log after the run's start, then its live events.

The events come from a ``backend.job_follower.Follower`` (log, then live relay, nothing lost
or doubled). The run ends on the job's terminal event, or with an interrupt once a question is
pending. The job never ends with the stream: a client that leaves just stops watching.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncGenerator

from ag_ui.core import BaseEvent
from ag_ui.encoder import EventEncoder
from redis.exceptions import RedisError

from backend.agui.translate import RunTranslator
from backend.job_follower import Follower
from backend.services import Services

log = logging.getLogger(__name__)

KEEP_ALIVE = ": keep-alive\n\n"
"""An SSE comment, sent for an empty batch (silence): proxies and clients keep the stream open."""


async def run_body(services: Services, translator: RunTranslator) -> AsyncGenerator[str, None]:
    """The SSE text of one run (after ``translator.start``): ``RUN_STARTED`` ... exactly one
    ``RUN_FINISHED``/``RUN_ERROR``."""
    encoder = EventEncoder()

    def encode(events: list[BaseEvent]) -> str:
        return "".join(encoder.encode(event) for event in events)

    yield encode(translator.started())
    try:
        follower = Follower(services, translator.job_id, translator.start)
        async with contextlib.aclosing(follower.batches()) as batches:
            async for batch in batches:
                if not batch:
                    yield KEEP_ALIVE
                    continue
                text = encode([out for stored in batch for out in translator.translate(stored)])
                if text:
                    yield text
                if translator.finished:
                    return
                if translator.asked is not None:
                    yield encode(translator.interrupt())
                    return
        yield encode(translator.error(f"job {translator.job_id!r} not found", "job_not_found"))
    except (RedisError, OSError) as exc:
        # The job did not end: the client may post the same thread again to re-attach.
        log.warning("job %s: AG-UI stream lost the job store: %r", translator.job_id, exc)
        yield encode(
            translator.error("the job store is unavailable: post the thread again", "store")
        )
