"""The live workflow catalog: every workflow ever published, with the workers serving it now.

Workers write two things with every heartbeat (``worker.lifecycle``): the workflow's entry (name,
description, params schema) into ``keys.WORKFLOWS``, kept for good so that params can still be
checked while no worker serves it, and their own name with the time into
``keys.workflow_workers(name)``. A workflow is *available* while some worker beat for it within
the live window (``AGENTJOBS_WORKER_SEEN_SECONDS``); one no worker served for ``FORGET_SECONDS``
is dropped from the listing and is then unknown (404) like one never registered.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import cast

from redis.asyncio import Redis

from agentjobs import keys
from agentjobs.protocol import WorkflowInfo

FORGET_SECONDS = 7 * 24 * 3600.0
"""How long after its last worker was seen a workflow stays listed (as unavailable)."""


def waiting_message(workflow: str) -> str:
    """The ``progress`` text of a job queued while no live worker serves its workflow."""
    return f"waiting for a worker that serves {workflow}"


async def read_catalog(
    redis: Redis,
    seen_within: float,
    names: list[str] | None = None,
    *,
    now: float | None = None,
    forget_after: float = FORGET_SECONDS,
) -> list[WorkflowInfo]:
    """The catalog entries of ``names`` (default: all), sorted by name, with live workers.

    ``workers`` counts the workers that beat for a workflow within ``seen_within`` seconds;
    workflows no worker served for ``forget_after`` seconds are left out. An entry with no
    worker record at all (published before workers kept one) is listed as unavailable.
    """
    now = time.time() if now is None else now
    if names is None:
        raw = cast(dict[str, str], await redis.hgetall(keys.WORKFLOWS))
    else:
        values = cast(list[str | None], await redis.hmget(keys.WORKFLOWS, names)) if names else []
        raw = {name: value for name, value in zip(names, values, strict=True) if value}
    ordered = sorted(raw)
    async with redis.pipeline(transaction=False) as pipe:
        for name in ordered:
            pipe.zcount(keys.workflow_workers(name), now - seen_within, "+inf")
            pipe.zrevrange(keys.workflow_workers(name), 0, 0, withscores=True)
        replies = await pipe.execute()
    catalog = []
    for index, name in enumerate(ordered):
        live, newest = int(replies[2 * index]), replies[2 * index + 1]
        last_seen = float(newest[0][1]) if newest else None
        if last_seen is not None and now - last_seen > forget_after:
            continue
        entry = WorkflowInfo.model_validate_json(raw[name])
        catalog.append(
            entry.model_copy(
                update={
                    "workers": live,
                    "available": live > 0,
                    "last_seen": datetime.fromtimestamp(last_seen, UTC) if last_seen else None,
                }
            )
        )
    return catalog


async def read_workflow(redis: Redis, name: str, seen_within: float) -> WorkflowInfo | None:
    """One workflow's live entry, or None when it was never published (or was forgotten)."""
    found = await read_catalog(redis, seen_within, [name])
    return found[0] if found else None
