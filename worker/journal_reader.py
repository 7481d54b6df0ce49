"""A job's journal as a resumed run replays it: every outside result, in order, with sealed
password answers opened."""

from __future__ import annotations

import logging
from typing import cast

from pydantic import SecretStr
from redis.asyncio import Redis

from agentjobs import keys
from agentjobs.journal import JournalEntry
from agentjobs.secrets import SecretUnavailable, unseal

log = logging.getLogger(__name__)

NOT_KEPT = "not-kept:"
"""Prefixed to the fingerprint of a password answer replay cannot open, so replay stops there
(``Nondeterministic``) instead of handing the workflow something that is not the answer."""


async def read_journal(
    redis: Redis, job_id: str, secrets_key: SecretStr | None
) -> list[JournalEntry]:
    """Every outside result recorded for ``job_id`` so far, in order."""
    raw = cast(list[str], await redis.lrange(keys.journal(job_id), 0, -1))
    return [_opened(job_id, JournalEntry.model_validate_json(entry), secrets_key) for entry in raw]


def _opened(job_id: str, entry: JournalEntry, secrets_key: SecretStr | None) -> JournalEntry:
    """``entry`` with a sealed password answer opened; one that cannot be opened (withheld
    without a key, or sealed with another key) gets a fingerprint replay never matches."""
    if entry.kind != "answer":
        return entry
    try:
        return entry.model_copy(update={"value": unseal(entry.value, secrets_key)})
    except SecretUnavailable as exc:
        log.warning("job %s: cannot replay past request %s: %s", job_id, entry.fp, exc)
        return JournalEntry(kind="answer", fp=NOT_KEPT + entry.fp)
