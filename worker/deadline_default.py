"""A request's deadline passing while its worker holds the job: its default answers it.

The default goes through the same answer script as a person's answer, so exactly one of them
wins (the loser is told who took it); the worker then takes whichever won from the reply list.
"""

from __future__ import annotations

import json

from redis.asyncio import Redis

from agentjobs import keys, scripts
from agentjobs.protocol import AnswerValue, InputReceived, InputRequest, TextInput
from agentjobs.secrets import unseal
from agentjobs.settings import RedisSettings
from agentjobs.ui import InputTimeout
from worker.reply_wait import blpop_surviving_outages

TAKE_SECONDS = 5.0
"""How long to wait for the winning answer once the script has decided (it is pushed in the
same script, or by the API's concurrent answer a moment later)."""
MASK = "********"


async def apply_default(
    redis: Redis, settings: RedisSettings, job_id: str, request: InputRequest, value: AnswerValue
) -> AnswerValue:
    """Answer ``request`` with its default ``value`` from the deadline, unless a person's answer
    took it first; returns the answer that won. ``InputTimeout`` when neither arrives (the job
    was cancelled meanwhile)."""
    secret = isinstance(request, TextInput) and request.password
    event = InputReceived(
        job_id=job_id,
        request_id=request.request_id,
        value=MASK if secret else value,
        source="deadline",
    )
    await scripts.answer(
        redis,
        job_id=job_id,
        request_id=request.request_id,
        value=value,
        event=event,
        maxlen=settings.event_log_maxlen,
        reply_ttl_seconds=settings.retention_seconds,
        requeue_check_ms=60_000,  # held by this worker: the script never requeues it
        secret=secret,
        key=settings.secrets_key,
    )
    reply_key = keys.reply(job_id, request.request_id)
    popped = await blpop_surviving_outages(redis, reply_key, TAKE_SECONDS, job_id)
    if popped is None:
        raise InputTimeout(request.request_id, 0.0)
    answer: AnswerValue = unseal(json.loads(popped[1]), settings.secrets_key)
    return answer
