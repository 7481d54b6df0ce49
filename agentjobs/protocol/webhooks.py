"""Wire bodies of webhooks and answer links: the delivery list and the answer link's page."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field

from agentjobs.protocol.events import InputRequest, _Frame
from agentjobs.protocol.utf8 import CheckedAnswer, Utf8Str


def http_url_problem(url: str) -> str | None:
    """Why ``url`` cannot be a webhook destination (None: an absolute http(s) URL)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"expected an absolute http:// or https:// URL, got {url[:200]!r}"
    return None


def absolute_http_url(url: str | None) -> str | None:
    """A setting's base URL without its trailing ``/`` (None when unset); ``ValueError`` when
    it is not an absolute http(s) URL."""
    if not url:
        return None
    problem = http_url_problem(url)
    if problem is not None:
        raise ValueError(problem)
    return url.rstrip("/")


def _http_url(url: str) -> str:
    problem = http_url_problem(url)
    if problem is not None:
        raise ValueError(problem)
    return url


WebhookUrl = Annotated[Utf8Str, Field(max_length=2048), AfterValidator(_http_url)]
"""A job's own webhook endpoint (``POST /jobs``): an absolute http(s) URL."""

WebhookType = Literal["job.awaiting_input", "job.succeeded", "job.failed", "job.cancelled"]
"""The events a webhook reports (the body's ``type``)."""
DeliveryStatus = Literal["pending", "retrying", "delivered", "failed", "refused"]
"""``pending``: not tried yet; ``retrying``: an attempt failed, another is due; ``delivered``:
the receiver answered 2xx; ``failed``: given up after ``AGENTJOBS_WEBHOOK_RETRY_SECONDS``;
``refused``: the destination is not allowed (a private address, a bad URL)."""


class WebhookDelivery(_Frame):
    """One delivery of one event to one endpoint."""

    webhook_id: str
    """The ``webhook-id`` header, the same on every attempt (receivers deduplicate on it)."""
    type: WebhookType
    target: Literal["global", "job"]
    """``global``: ``AGENTJOBS_WEBHOOK_URL``; ``job``: the job's own ``webhook_url``."""
    url: str
    event_id: str
    """The cursor of the event it reports."""
    status: DeliveryStatus
    attempts: int
    last_error: str | None = None
    response_status: int | None = None
    created_at: datetime
    last_attempt_at: datetime | None = None
    next_attempt_at: datetime | None = None


class WebhookList(_Frame):
    """Answer of ``GET /jobs/{id}/webhooks``: the job's deliveries, oldest first."""

    deliveries: list[WebhookDelivery]


class WebhookSecret(_Frame):
    """Answer of ``GET /webhooks/secret``: the key the caller's own job endpoints are signed
    with (Standard Webhooks, ``whsec_<base64>``)."""

    secret: str


class AnswerLinkView(_Frame):
    """Answer of ``GET /answer/{token}`` (JSON): the question the link answers."""

    job_id: str
    workflow: str
    request: InputRequest
    expires_at: datetime


class LinkAnswer(_Frame):
    """Body of ``POST /answer/{token}`` (JSON; an HTML form sends ``value`` as a form field)."""

    value: CheckedAnswer
