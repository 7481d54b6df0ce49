"""The page's live link to a job: the browser holds the job's WebSocket, Mesop folds batches.

Why this shape. A Mesop handler that streams a whole job hits the WSGI worker's timeout and
queues the person's clicks behind it (FastAgency's issue #326; Mesop has no timer of its own,
mesop-dev/mesop#1016), and a chain of short server-side refreshes ends the first time one
refresh is lost (Mesop answers an event whose handler it cannot find with a logged
``Unknown handler id`` and nothing else). So ``<agentjobs-live>`` (``live.js``) opens
``/jobs/{id}/ws?after=<cursor>&token=`` itself, keeps every event newer than the cursor Mesop
last rendered, and dispatches them to ``on_events`` in batches: one batch in flight, the next
as soon as Mesop's ``ack`` comes back, so a fast stream costs one Mesop round trip per batch,
not per event. Its watchdog sends a batch again when no ack came within 1.5 s (folding is
idempotent by cursor), reconnects a dropped socket from its last event, pings a quiet one,
and reloads the page if Mesop itself stops answering for 20 s. While the socket cannot
connect (an API the browser cannot reach, an outage) it asks Mesop to poll the API instead
(``on_poll``, the old refresh), so the page never depends on one path.

The element is rendered on every page with the same handlers, so the handler ids an event
carries are always registered.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import mesop as me


@me.web_component(path="./live.js")  # type: ignore[untyped-decorator]
def live(
    *,
    socket_url: str,
    token: str,
    job_id: str,
    cursor: str,
    ack: int,
    poll_ms: int,
    on_events: Callable[[me.WebEvent], Any],
    on_poll: Callable[[me.WebEvent], Any],
) -> Any:
    """The live link: a socket on ``socket_url`` (none when empty), polls every ``poll_ms``.

    ``cursor`` is the last event the page shows and ``ack`` the last dispatch it applied;
    ``on_events`` gets ``{seq, job, after, events: [event JSON, ...]}``, ``on_poll``
    ``{seq, job}``.
    """
    return me.insert_web_component(
        name="agentjobs-live",
        key="live",
        events={"eventsEvent": on_events, "pollEvent": on_poll},
        properties={
            "socketUrl": socket_url,
            "token": token,
            "jobId": job_id,
            "cursor": cursor,
            "ack": ack,
            "pollMs": poll_ms,
        },
    )


def socket_base(api_url: str) -> str:
    """The WebSocket origin of an API URL: ``http://h:p/x`` -> ``ws://h:p/x``."""
    if api_url.startswith("https://"):
        return "wss://" + api_url.removeprefix("https://").rstrip("/")
    return "ws://" + api_url.removeprefix("http://").rstrip("/")
