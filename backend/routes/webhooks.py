"""``GET /jobs/{id}/webhooks`` (a job's deliveries and how each went) and ``GET /webhooks/secret``
(the key a user's own job endpoints are signed with)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import cast
from urllib.parse import urlsplit

from fastapi import APIRouter, HTTPException

from agentjobs import keys
from agentjobs.protocol.webhooks import WebhookDelivery, WebhookList, WebhookSecret
from backend.deps import CurrentUser, ServicesDep, load_job

router = APIRouter(tags=["jobs"])


def _time(ms: str | None) -> datetime | None:
    return datetime.fromtimestamp(int(ms) / 1000, UTC) if ms else None


def _shown_url(raw: dict[str, str]) -> str:
    """The job's own URL as its owner gave it; of the deployment's endpoint only its origin
    (its path or query may hold a token that is not the job owner's to see)."""
    if raw.get("target") == "job":
        return raw["url"]
    parts = urlsplit(raw["url"])
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"


def delivery_of(raw: dict[str, str]) -> WebhookDelivery:
    """A delivery's hash as the API shows it."""
    status = raw.get("response_status")
    return WebhookDelivery(
        webhook_id=raw["webhook_id"],
        type=raw["type"],  # type: ignore[arg-type]
        target=raw["target"],  # type: ignore[arg-type]
        url=_shown_url(raw),
        event_id=raw["event_id"],
        status=raw["status"],  # type: ignore[arg-type]
        attempts=int(raw.get("attempts", "0")),
        last_error=raw.get("last_error") or None,
        response_status=int(status) if status else None,
        created_at=_time(raw["created_ms"]) or datetime.now(UTC),
        last_attempt_at=_time(raw.get("last_attempt_ms")),
        next_attempt_at=_time(raw.get("next_attempt_ms")),
    )


@router.get(
    "/jobs/{job_id}/webhooks",
    responses={404: {"description": "No such job (or not yours)"}},
)
async def list_webhooks(job_id: str, services: ServicesDep, user: CurrentUser) -> WebhookList:
    """The job's webhook deliveries, oldest first: status, attempts, last error."""
    await load_job(services, user, job_id)
    ids = cast(list[str], await services.redis.zrange(keys.job_webhooks(job_id), 0, -1))
    async with services.redis.pipeline(transaction=False) as pipe:
        for webhook_id in ids:
            pipe.hgetall(keys.webhook(job_id, webhook_id))
        found = cast(list[dict[str, str]], await pipe.execute()) if ids else []
    return WebhookList(deliveries=[delivery_of(raw) for raw in found if raw])


@router.get(
    "/webhooks/secret",
    responses={404: {"description": "This server signs no webhooks (no AGENTJOBS_WEBHOOK_SECRET)"}},
)
async def webhook_secret(services: ServicesDep, user: CurrentUser) -> WebhookSecret:
    """The key that the caller's jobs' own ``webhook_url`` deliveries are signed with: verify
    them with it (Standard Webhooks). It is the caller's alone; the deployment's endpoint has
    its own."""
    if services.settings.webhook_secret is None:
        raise HTTPException(404, "no AGENTJOBS_WEBHOOK_SECRET on this server: it signs no webhooks")
    return WebhookSecret(secret=services.settings.user_secret(user))
