"""Bearer tokens: where they come from, and which user a presented token belongs to.

Tokens are configured as ``AGENTJOBS_API_TOKENS`` (``token1:alice,token2:bob``) and/or a file
named by ``AGENTJOBS_API_TOKENS_FILE`` (one ``<token> <user>`` per line). Either may hold a token
hashed as ``sha256:<64 hex digits>`` instead of the token itself. Only SHA-256 digests are kept in
memory, and a presented token is compared with every one of them in constant time.
With no tokens at all the API runs in single-user dev mode: every caller is ``default_user``.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from dataclasses import dataclass

from starlette.requests import HTTPConnection

from backend.settings import ApiSettings

log = logging.getLogger(__name__)

HASH_PREFIX = "sha256:"
_HEX_DIGEST = re.compile(r"^[0-9a-fA-F]{64}$")
_USER_ID = re.compile(r"^[A-Za-z0-9._@+-]{1,128}$")
"""User ids end up in Redis key names and logs: keep them to a plain, printable alphabet."""
QUERY_PARAM = "token"
"""Browsers cannot set headers on a WebSocket (or EventSource): they may send ``?token=``."""

DEV_MODE_WARNING = (
    "\n" + "!" * 78 + "\n"
    "agentjobs API: NO AUTHENTICATION (single-user dev mode).\n"
    "AGENTJOBS_API_TOKENS and AGENTJOBS_API_TOKENS_FILE are unset: every caller is user %r and\n"
    "can read, answer and cancel every job. Configure tokens before exposing this API, and set\n"
    "AGENTJOBS_REQUIRE_AUTH=true so it refuses to start without them.\n" + "!" * 78
)


class AuthConfigError(ValueError):
    """The token configuration is malformed, or missing while required."""


class AuthError(Exception):
    """The caller sent no token, or one that is not configured."""

    def __init__(self, detail: str, error: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.error = error

    @property
    def challenge(self) -> str:
        """The ``WWW-Authenticate`` header value (RFC 6750)."""
        return f'Bearer error="{self.error}"' if self.error else "Bearer"


def hash_token(token: str) -> str:
    """The stored form of a token: ``sha256:<hex digest>``."""
    return HASH_PREFIX + hashlib.sha256(token.encode()).hexdigest()


def _digest(secret: str, where: str) -> bytes:
    """The SHA-256 digest of a configured token, which may already be hashed."""
    if secret.startswith(HASH_PREFIX):
        hexdigest = secret.removeprefix(HASH_PREFIX)
        if not _HEX_DIGEST.match(hexdigest):
            raise AuthConfigError(f"{where}: a hashed token is sha256: and 64 hex digits")
        return bytes.fromhex(hexdigest)
    return hashlib.sha256(secret.encode()).digest()


def _entry(secret: str, user: str, where: str) -> tuple[bytes, str]:
    # Error messages name the place, never the token.
    if not secret:
        raise AuthConfigError(f"{where}: empty token")
    if not _USER_ID.match(user):
        raise AuthConfigError(f"{where}: user id must be 1-128 of A-Z a-z 0-9 . _ @ + -")
    return _digest(secret, where), user


def parse_token_list(text: str) -> list[tuple[bytes, str]]:
    """Parse ``AGENTJOBS_API_TOKENS``: comma-separated ``token:user`` pairs."""
    entries = []
    for number, item in enumerate(text.split(","), start=1):
        item = item.strip()
        if not item:
            continue
        # The user is after the last colon: hashed tokens contain one themselves.
        secret, sep, user = item.rpartition(":")
        if not sep:
            raise AuthConfigError(f"AGENTJOBS_API_TOKENS entry {number}: expected token:user")
        entries.append(_entry(secret.strip(), user.strip(), f"AGENTJOBS_API_TOKENS entry {number}"))
    return entries


def parse_token_file(text: str, name: str = "tokens file") -> list[tuple[bytes, str]]:
    """Parse a tokens file: ``<token> <user>`` per line; blank lines and ``#`` comments skipped."""
    entries = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) != 2:
            raise AuthConfigError(f"{name} line {number}: expected '<token> <user>'")
        entries.append(_entry(parts[0], parts[1], f"{name} line {number}"))
    return entries


@dataclass(frozen=True)
class TokenTable:
    """The configured tokens (as digests) and their users."""

    entries: tuple[tuple[bytes, str], ...]

    def __post_init__(self) -> None:
        digests = [digest for digest, _ in self.entries]
        if len(set(digests)) != len(digests):
            raise AuthConfigError("the same token is configured twice")

    @property
    def users(self) -> set[str]:
        """Every configured user id."""
        return {user for _, user in self.entries}

    def user_for(self, token: str) -> str | None:
        """The user ``token`` belongs to, or None.

        Compares the presented token's digest with every configured one, without stopping
        early, so the time taken says nothing about which token (or how much of one) matched.
        """
        presented = hashlib.sha256(token.encode()).digest()
        found = None
        for digest, user in self.entries:
            if hmac.compare_digest(presented, digest):
                found = user
        return found


def load_tokens(settings: ApiSettings) -> TokenTable:
    """Read the tokens from the settings and the tokens file; raises ``AuthConfigError``."""
    entries: list[tuple[bytes, str]] = []
    if settings.api_tokens is not None:
        entries += parse_token_list(settings.api_tokens.get_secret_value())
    if settings.api_tokens_file is not None:
        path = settings.api_tokens_file
        try:
            text = path.read_text()
        except OSError as exc:
            raise AuthConfigError(f"AGENTJOBS_API_TOKENS_FILE {path}: {exc.strerror}") from exc
        entries += parse_token_file(text, str(path))
    return TokenTable(tuple(entries))


@dataclass(frozen=True)
class Authenticator:
    """Turns a request or WebSocket handshake into the caller's user id."""

    tokens: TokenTable
    default_user: str

    @classmethod
    def from_settings(cls, settings: ApiSettings) -> Authenticator:
        """Load the tokens; warn loudly in dev mode, refuse when auth is required but unset."""
        tokens = load_tokens(settings)
        if not tokens.entries:
            if settings.require_auth:
                raise AuthConfigError(
                    "AGENTJOBS_REQUIRE_AUTH is true but no tokens are configured: set "
                    "AGENTJOBS_API_TOKENS (token:user,...) or AGENTJOBS_API_TOKENS_FILE"
                )
            log.warning(DEV_MODE_WARNING, settings.default_user)
        else:
            log.info("auth: %d tokens for %d users", len(tokens.entries), len(tokens.users))
        return cls(tokens, settings.default_user)

    @property
    def dev_mode(self) -> bool:
        """True when no tokens are configured and every caller is the default user."""
        return not self.tokens.entries

    def authenticate(self, conn: HTTPConnection) -> str:
        """The caller's user id; raises ``AuthError`` for a missing or unknown token."""
        if self.dev_mode:
            return self.default_user
        token = presented_token(conn)
        if token is None:
            raise AuthError(
                "missing bearer token: send 'Authorization: Bearer <token>' "
                f"(or ?{QUERY_PARAM}=<token> where headers cannot be set)"
            )
        user = self.tokens.user_for(token)
        if user is None:
            raise AuthError("invalid token", error="invalid_token")
        return user


def presented_token(conn: HTTPConnection) -> str | None:
    """The bearer token of the request: the ``Authorization`` header first, then ``?token=``."""
    header = conn.headers.get("authorization")
    if header:
        scheme, _, credentials = header.partition(" ")
        if scheme.lower() == "bearer" and credentials.strip():
            return credentials.strip()
        return None
    return conn.query_params.get(QUERY_PARAM) or None
