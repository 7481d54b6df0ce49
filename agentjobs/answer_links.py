"""Answer links: a signed, expiring token that lets whoever holds it answer one request.

``<public url>/answer/<token>``, the token being ``<claims>.<signature>`` (both URL-safe base64,
no padding): the claims name the job, the request and when the link expires; the signature is
HMAC-SHA256 with a key derived from ``AGENTJOBS_SECRETS_KEY``. The link is single-use because
the request is: once answered, it is no longer pending and the answer path refuses a second one.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import SecretStr

LINK_PATH = "/answer/"
"""Where answer links live under the API's public URL."""
_KEY_LABEL = b"agentjobs answer link v1"


class LinkForged(Exception):
    """The token is malformed or its signature is not ours."""


class LinkExpired(Exception):
    """The token is ours but past its expiry."""


@dataclass(frozen=True)
class LinkClaims:
    """What a valid token says."""

    job_id: str
    request_id: str
    expires_at: datetime


def link_key(secrets_key: SecretStr) -> bytes:
    """The links' signing key, derived from the deployment's secrets key (one key per purpose:
    a link signature says nothing about the sealing key)."""
    return hmac.new(secrets_key.get_secret_value().encode(), _KEY_LABEL, hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(key: bytes, claims: str) -> str:
    return _b64(hmac.new(key, claims.encode("ascii"), hashlib.sha256).digest())


def mint(key: bytes, job_id: str, request_id: str, expires_at: datetime) -> str:
    """A token answering ``request_id`` of ``job_id`` until ``expires_at`` (same inputs, same
    token: every retry of a webhook carries the same link)."""
    body = {"j": job_id, "r": request_id, "e": int(expires_at.timestamp())}
    claims = _b64(json.dumps(body, separators=(",", ":")).encode())
    return f"{claims}.{_signature(key, claims)}"


def verify(key: bytes, token: str, now: datetime | None = None) -> LinkClaims:
    """The claims of ``token``; raises ``LinkForged`` or ``LinkExpired``.

    The signature is compared in constant time before anything in the claims is trusted.
    """
    claims, _, signature = token.partition(".")
    if not claims or not signature or not token.isascii():
        raise LinkForged("malformed link")
    if not hmac.compare_digest(_signature(key, claims), signature):
        raise LinkForged("bad signature")
    try:
        body = json.loads(_unb64(claims))
        found = LinkClaims(
            str(body["j"]), str(body["r"]), datetime.fromtimestamp(int(body["e"]), UTC)
        )
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise LinkForged("malformed claims") from exc
    if (now or datetime.now(UTC)) >= found.expires_at:
        raise LinkExpired(f"the link expired at {found.expires_at.isoformat()}")
    return found


def link_url(public_url: str, token: str) -> str:
    """The full answer link."""
    return f"{public_url.rstrip('/')}{LINK_PATH}{token}"
