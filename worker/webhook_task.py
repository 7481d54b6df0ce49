"""The webhook task, ``agentjobs.deliver_webhook``: one attempt at one recorded delivery.

It signs the stored body (plus, for a waiting request, its answer link) with the deployment's
secret, checks the destination, posts it and settles the attempt: delivered, refused, retried
later with exponential backoff and jitter, or given up after ``AGENTJOBS_WEBHOOK_RETRY_SECONDS``.
The body and the ``webhook-id`` are the same on every attempt. Secrets, links and URLs are
never logged (a URL may carry a token of its own).
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from datetime import datetime, timedelta
from typing import cast

from redis.asyncio import Redis

from agentjobs import keys
from agentjobs.answer_links import link_key, link_url, mint
from agentjobs.scripts.webhooks import AttemptResult, settle
from agentjobs.webhook_settings import WebhookSettings
from worker.app import app, settings
from worker.thread_loop import thread_loop
from worker.webhook_send import (
    Answer,
    DestinationRefused,
    checked_address,
    http_client,
    post,
    signed_headers,
)

log = logging.getLogger(__name__)

SETTLED = frozenset({"delivered", "failed", "refused"})


def backoff_seconds(attempt: int, base: float, cap: float) -> float:
    """The wait after failed attempt number ``attempt`` (1-based): doubling from ``base`` up to
    ``cap``, the upper half of it random ("equal jitter"), so receivers coming back are not hit
    by every sender at once, and no retry comes sooner than half its step."""
    step = min(cap, base * 2.0 ** max(0, attempt - 1))
    return step / 2 + random.uniform(0, step / 2)


def with_answer_link(body: str, webhook_type: str, config: WebhookSettings) -> str:
    """``body`` with the request's answer link when one applies, else unchanged.

    The link is valid until the request's deadline, or ``AGENTJOBS_ANSWER_LINK_TTL_SECONDS``
    after it was asked; it is the same on every attempt (same claims, same signature).
    """
    if webhook_type != "job.awaiting_input" or not config.public_url:
        return body
    if config.secrets_key is None:
        return body
    payload = json.loads(body)
    event = payload["data"]["event"]
    deadline = event.get("deadline")
    expires = (
        datetime.fromisoformat(deadline)
        if deadline
        else datetime.fromisoformat(event["ts"]) + timedelta(seconds=config.answer_link_ttl_seconds)
    )
    token = mint(link_key(config.secrets_key), event["job_id"], event["request_id"], expires)
    payload["data"]["answer_url"] = link_url(config.public_url, token)
    payload["data"]["answer_url_expires_at"] = expires.isoformat()
    return json.dumps(payload, separators=(",", ":"))


def signing_key(config: WebhookSettings, record: dict[str, str]) -> str:
    """The key a delivery is signed with: the deployment's for its own endpoint, the job's
    user's for the job's ``webhook_url``."""
    assert config.webhook_secret is not None  # checked by the caller
    # A delivery recorded before deliveries named their user keeps the key it was made under.
    if record["target"] == "job" and "user" in record:
        return config.user_secret(record["user"])
    return config.webhook_secret.get_secret_value()


async def attempt(config: WebhookSettings, record: dict[str, str]) -> tuple[AttemptResult, Answer]:
    """Make one attempt at the delivery ``record`` (its Redis hash)."""
    if config.webhook_secret is None:
        return "error", Answer(None, "this worker has no AGENTJOBS_WEBHOOK_SECRET to sign with")
    try:
        address = await checked_address(record["url"], config.webhook_allow_private)
    except DestinationRefused as exc:
        return "refused", Answer(None, str(exc))
    body = with_answer_link(record["body"], record["type"], config)
    headers = signed_headers(signing_key(config, record), record["webhook_id"], body)
    timeout = config.webhook_timeout_seconds
    try:
        async with asyncio.timeout(timeout), http_client(timeout) as client:
            answer = await post(client, record["url"], address, body, headers)
    except TimeoutError:
        answer = Answer(None, f"no answer within {timeout:g} s")
    return ("delivered" if answer.ok else "error"), answer


async def deliver(redis: Redis, config: WebhookSettings, job_id: str, webhook_id: str) -> str:
    """Attempt the delivery ``webhook_id`` of ``job_id`` once; returns its status after."""
    record = cast(dict[str, str], await redis.hgetall(keys.webhook(job_id, webhook_id)))
    if not record or record.get("status") in SETTLED:
        result: AttemptResult = "error"
        answer = Answer(None)
    else:
        result, answer = await attempt(config, record)
    tried = int(record.get("attempts", "0")) + 1
    status = await settle(
        redis,
        job_id=job_id,
        webhook_id=webhook_id,
        result=result,
        error=answer.error,
        response_status=answer.status_code,
        retry_in_ms=int(
            1000
            * backoff_seconds(
                tried, config.webhook_backoff_seconds, config.webhook_backoff_max_seconds
            )
        ),
        retry_window_ms=int(config.webhook_retry_seconds * 1000),
        retention_seconds=config.retention_seconds,
    )
    log.info("webhook %s of job %s: %s after attempt %d", webhook_id, job_id, status, tried)
    return status


@app.task(name=keys.DELIVER_WEBHOOK_TASK, ignore_result=True)  # type: ignore[untyped-decorator]
def deliver_webhook(job_id: str, webhook_id: str) -> str:
    """One attempt at one webhook delivery, on this pool thread's loop and Redis client."""
    return thread_loop(settings).run(lambda redis: deliver(redis, settings, job_id, webhook_id))
