"""Which endpoints a new job's webhooks go to, as its record keeps them (the ``webhooks`` field)."""

from __future__ import annotations

import json

from fastapi import HTTPException

from agentjobs.webhook_settings import WebhookSettings


def webhook_targets(settings: WebhookSettings, webhook_url: str | None) -> str:
    """The record's ``webhooks`` field: a JSON list of ``{name, url}`` ("" for none).

    The deployment's endpoint (``AGENTJOBS_WEBHOOK_URL``) is fixed into each job when it is
    created; a job's own ``webhook_url`` is signed with the same secret, so it needs one
    (422 without).
    """
    targets = []
    if settings.webhook_url:
        targets.append({"name": "global", "url": settings.webhook_url})
    if webhook_url:
        if settings.webhook_secret is None:
            raise HTTPException(
                422,
                [
                    {
                        "loc": ["body", "webhook_url"],
                        "msg": "this server has no AGENTJOBS_WEBHOOK_SECRET to sign webhooks "
                        "with, so a job cannot have a webhook_url",
                        "type": "value_error",
                    }
                ],
            )
        targets.append({"name": "job", "url": webhook_url})
    return json.dumps(targets) if targets else ""
