"""The live catalog: every workflow ever published, its versions, and the workers serving each.

Workers write three things with every heartbeat (``worker.lifecycle``): the workflow's entry
(name, description, params schema, version) into ``keys.WORKFLOWS`` and, per version, into
``keys.workflow_versions(name)``, kept for good so that params can still be checked while no
worker serves it; and their own name with the time into ``keys.workflow_workers(name)`` and
``keys.version_workers(name, version)``. A workflow (or version) is *available* while some
worker beat for it within the live window (``AGENTJOBS_WORKER_SEEN_SECONDS``); one no worker
served for ``FORGET_SECONDS`` is dropped from the listing and is then unknown (404) like one
never registered. Unfinished jobs per version come from ``keys.UNFINISHED``, kept by the
scripts (no scan).

The entry's ``version`` is the one new jobs run on: the newest version (``agentjobs.versions``
order) that live workers serve, or with none live the newest published; its description and
params schema are that version's.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any, cast

from redis.asyncio import Redis

from agentjobs import keys
from agentjobs.protocol import WorkflowInfo
from agentjobs.protocol.bodies import WorkflowVersionInfo
from agentjobs.versions import newest, version_key

FORGET_SECONDS = 7 * 24 * 3600.0
"""How long after its last worker was seen a workflow stays listed (as unavailable)."""


def waiting_message(workflow: str, version: str | None = None) -> str:
    """The ``progress`` text of a job waiting while no live worker serves its workflow (or the
    version it is pinned to)."""
    if version is None:
        return f"waiting for a worker that serves {workflow}"
    return f"waiting for a worker that serves {workflow} version {version}"


def _seen(reply: list[tuple[str, float]]) -> float | None:
    return float(reply[0][1]) if reply else None


def _time(epoch: float | None) -> datetime | None:
    return datetime.fromtimestamp(epoch, UTC) if epoch is not None else None


async def read_catalog(
    redis: Redis,
    seen_within: float,
    names: list[str] | None = None,
    *,
    now: float | None = None,
    forget_after: float = FORGET_SECONDS,
) -> list[WorkflowInfo]:
    """The catalog entries of ``names`` (default: all), sorted by name, with live workers.

    ``workers`` counts the workers that beat for a workflow within ``seen_within`` seconds
    (``versions``: per version, with its unfinished jobs); workflows no worker served for
    ``forget_after`` seconds are left out. An entry with no worker record at all (published
    before workers kept one) is listed as unavailable.
    """
    now = time.time() if now is None else now
    if names is None:
        raw = cast(dict[str, str], await redis.hgetall(keys.WORKFLOWS))
    else:
        values = cast(list[str | None], await redis.hmget(keys.WORKFLOWS, names)) if names else []
        raw = {name: value for name, value in zip(names, values, strict=True) if value}
    ordered = sorted(raw)
    async with redis.pipeline(transaction=False) as pipe:
        pipe.hgetall(keys.UNFINISHED)
        for name in ordered:
            pipe.zcount(keys.workflow_workers(name), now - seen_within, "+inf")
            pipe.zrevrange(keys.workflow_workers(name), 0, 0, withscores=True)
            pipe.hgetall(keys.workflow_versions(name))
        first: list[Any] = await pipe.execute()
    unfinished = cast(dict[str, str], first[0])
    published = {name: cast(dict[str, str], first[3 + 3 * i]) for i, name in enumerate(ordered)}
    pairs = [
        (name, version)
        for name in ordered
        for version in {*published[name], *_pending_versions(unfinished, name)}
    ]
    async with redis.pipeline(transaction=False) as pipe:
        for name, version in pairs:
            pipe.zcount(keys.version_workers(name, version), now - seen_within, "+inf")
            pipe.zrevrange(keys.version_workers(name, version), 0, 0, withscores=True)
        second: list[Any] = await pipe.execute()
    versions: dict[str, list[WorkflowVersionInfo]] = {name: [] for name in ordered}
    for index, (name, version) in enumerate(pairs):
        versions[name].append(
            WorkflowVersionInfo(
                version=version,
                workers=int(second[2 * index]),
                unfinished=int(unfinished.get(keys.version_field(name, version), 0)),
                last_seen=_time(_seen(second[2 * index + 1])),
            )
        )
    catalog = []
    for index, name in enumerate(ordered):
        live, last_seen = int(first[1 + 3 * index]), _seen(first[2 + 3 * index])
        if last_seen is not None and now - last_seen > forget_after:
            continue
        listed = sorted(versions[name], key=lambda v: version_key(v.version))
        entry = _entry_of(raw[name], published[name], listed)
        catalog.append(
            entry.model_copy(
                update={
                    "workers": live,
                    "available": live > 0,
                    "last_seen": _time(last_seen),
                    "versions": listed,
                }
            )
        )
    return catalog


def _pending_versions(unfinished: dict[str, str], name: str) -> list[str]:
    """Versions of ``name`` with unfinished jobs (listed even if no worker published them)."""
    prefix = keys.version_field(name, "")
    found = (field[len(prefix) :] for field in unfinished if field.startswith(prefix))
    return [version for version in found if "@" not in version]  # not another workflow's


def _entry_of(
    fallback: str, published: dict[str, str], listed: list[WorkflowVersionInfo]
) -> WorkflowInfo:
    """The entry of the version new jobs run on: the newest live one, else newest published."""
    live = newest(v.version for v in listed if v.workers > 0 and v.version in published)
    chosen = live or newest(published)
    return WorkflowInfo.model_validate_json(published[chosen] if chosen else fallback)


def runs_on(info: WorkflowInfo) -> str | None:
    """The version a new job of ``info`` is pinned to: the newest one live workers serve, or
    None while none does (the first worker of any version to take it pins it)."""
    live = [v.version for v in info.versions if v.workers > 0]
    return info.version if info.version in live else None


def version_served(info: WorkflowInfo, version: str) -> bool:
    """Does some live worker serve ``version`` of the workflow?"""
    return any(v.version == version and v.workers > 0 for v in info.versions)


async def read_workflow(redis: Redis, name: str, seen_within: float) -> WorkflowInfo | None:
    """One workflow's live entry, or None when it was never published (or was forgotten)."""
    found = await read_catalog(redis, seen_within, [name])
    return found[0] if found else None


class CatalogCache:
    """Entries read in the last ``ttl`` seconds, for the start path of one API process.

    Every start checks its workflow (params schema, live workers, version to pin): three Redis
    round trips and a parse of the schema, twice for a FastAgency run (its POST, then its
    socket). A second of staleness is well inside the heartbeat window that decides
    availability anyway. Only entries found are kept (a workflow just published is never
    refused for a second), and every full listing (``GET /workflows``) refreshes them.
    """

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._entries: dict[tuple[str, float], tuple[float, WorkflowInfo]] = {}

    async def workflow(self, redis: Redis, name: str, seen_within: float) -> WorkflowInfo | None:
        """``read_workflow``, answered from an entry younger than ``ttl`` when there is one."""
        now = time.monotonic()
        kept = self._entries.get((name, seen_within))
        if kept is not None and now - kept[0] < self.ttl:
            return kept[1]
        info = await read_workflow(redis, name, seen_within)
        if info is None:
            self._entries.pop((name, seen_within), None)
        elif self.ttl > 0:
            self._entries[(name, seen_within)] = (now, info)
        return info

    async def catalog(self, redis: Redis, seen_within: float) -> list[WorkflowInfo]:
        """``read_catalog`` (always read), keeping what it read for the start path."""
        entries = await read_catalog(redis, seen_within)
        if self.ttl > 0:
            now = time.monotonic()
            self._entries = {(e.name, seen_within): (now, e) for e in entries}
        return entries
