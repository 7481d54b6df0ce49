"""A started job's worker side for script tests: emits numbered like ``JobWriter`` numbers them."""

from __future__ import annotations

from redis.asyncio import Redis

from agentjobs import scripts
from agentjobs.protocol import Event, StreamChunk, TextMessage
from tests.agentjobs.scripts.jobs import MAXLEN, RETENTION


class Run:
    """A started job and the seq its worker would number the next event with."""

    def __init__(self, redis: Redis, job_id: str) -> None:
        self.redis = redis
        self.job_id = job_id
        self.seq = 0

    async def emit(self, event: Event, kind: scripts.WriteKind = "plain") -> str:
        seq = -1 if kind == "terminal" else self.seq
        self.seq += kind != "terminal"
        result = await scripts.emit(
            self.redis,
            job_id=self.job_id,
            token="tok",
            event=event,
            kind=kind,
            seq=seq,
            fields={"status": "failed"} if kind == "terminal" else {},
            metrics={},
            maxlen=MAXLEN,
            retention_seconds=RETENTION,
        )
        assert result.outcome is scripts.Write.WRITTEN
        return result.cursor

    async def chunk(self, text: str, sender: str = "bot") -> str:
        return await self.emit(StreamChunk(job_id=self.job_id, sender=sender, content=text))

    async def message(self, text: str, sender: str = "bot") -> str:
        return await self.emit(TextMessage(job_id=self.job_id, sender=sender, content=text))
