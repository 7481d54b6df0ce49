"""Settings of webhooks and answer links, shared by the API (which records each job's targets and
checks links) and the worker (which delivers, signs and mints links)."""

from __future__ import annotations

import base64
import hmac

from pydantic import Field, SecretStr, field_validator, model_validator
from standardwebhooks import Webhook

from agentjobs.protocol.webhooks import absolute_http_url
from agentjobs.settings import RedisSettings

_USER_SECRET_CONTEXT = b"agentjobs webhook key of user "
"""What a user's webhook key is derived for (never the same bytes as another key's)."""


class WebhookSettings(RedisSettings):
    """Where job notifications go, how they are retried, and the public address of answer links.

    Give the API and every worker the same values (like ``AGENTJOBS_SECRETS_KEY``).
    """

    webhook_url: str | None = None
    """The deployment's webhook endpoint: every job's events go there (besides a job's own
    ``webhook_url``). Recorded in each job when it is created."""
    webhook_secret: SecretStr | None = None
    """The ``whsec_...`` key (Standard Webhooks) the deployment's endpoint is signed with; each
    user's own job endpoints are signed with a key derived from it (``user_secret``). Required
    once any webhook is configured."""
    webhook_retry_seconds: float = Field(default=86400.0, gt=0)
    """How long a delivery is retried (from the event) before it is given up as ``failed``."""
    webhook_backoff_seconds: float = Field(default=5.0, gt=0)
    """The delay before the first retry; each later one doubles it (with jitter)."""
    webhook_backoff_max_seconds: float = Field(default=3600.0, gt=0)
    """The longest delay between two attempts."""
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)
    """How long one attempt may take (connect, send, answer) before it counts as failed."""
    webhook_allow_private: bool = False
    """Deliver to loopback, private, link-local and other non-public addresses too (refused by
    default: a job's ``webhook_url`` must not reach into the deployment's own network)."""
    public_url: str | None = None
    """Where people reach the API (``https://jobs.example.com``): with it, each waiting request
    gets an answer link in its ``job.awaiting_input`` webhook. Needs ``AGENTJOBS_SECRETS_KEY``,
    from which the links' signing key is derived."""
    answer_link_ttl_seconds: int = Field(default=3600, ge=60)
    """How long an answer link is valid when its request has no deadline of its own."""

    def user_secret(self, user: str) -> str:
        """The ``whsec_...`` key that ``user``'s own job endpoints (``webhook_url``) are signed
        with: derived from ``webhook_secret``, one per user, so that no user holds the
        deployment's key or another user's (``GET /webhooks/secret`` gives it to its user)."""
        if self.webhook_secret is None:
            raise ValueError("no AGENTJOBS_WEBHOOK_SECRET to derive a user's webhook key from")
        key = base64.b64decode(self.webhook_secret.get_secret_value().removeprefix("whsec_"))
        derived = hmac.digest(key, _USER_SECRET_CONTEXT + user.encode(), "sha256")
        return "whsec_" + base64.b64encode(derived).decode()

    @field_validator("webhook_url", "public_url")
    @classmethod
    def _absolute_http(cls, url: str | None) -> str | None:
        return absolute_http_url(url)

    @field_validator("webhook_secret")
    @classmethod
    def _valid_secret(cls, secret: SecretStr | None) -> SecretStr | None:
        if secret is None or not secret.get_secret_value():
            return None
        value = secret.get_secret_value()
        try:
            Webhook(value)
        except Exception as exc:  # standardwebhooks raises several kinds; never echo the value
            raise ValueError("expected a Standard Webhooks secret: whsec_<base64>") from exc
        if not value.startswith("whsec_"):
            raise ValueError("expected a Standard Webhooks secret: whsec_<base64>")
        return secret

    @model_validator(mode="after")
    def _secrets_present(self) -> WebhookSettings:
        if self.webhook_url and self.webhook_secret is None:
            raise ValueError("AGENTJOBS_WEBHOOK_URL needs AGENTJOBS_WEBHOOK_SECRET (whsec_...)")
        if self.public_url and self.secrets_key is None:
            raise ValueError(
                "AGENTJOBS_PUBLIC_URL needs AGENTJOBS_SECRETS_KEY: answer links are signed "
                "with a key derived from it"
            )
        return self
