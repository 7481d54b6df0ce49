"""Where the UI's API is, and one blocking client per user token for Mesop's handlers.

The UI process holds no run state: only the API's address (set once, from ``ClientSettings``
or from the seed-style ``FastAPIProvider`` an app passes in). Each browser session keeps its
own token in Mesop state and gets a client carrying it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from agentjobs.client.provider import FastAPIProvider
from agentjobs.client.settings import ClientSettings
from agentjobs.client.sync import SyncProvider


@dataclass(frozen=True)
class ApiTarget:
    """The API the UI talks to."""

    url: str
    timeout: float = 10.0
    token: str | None = None
    """The token of a UI deployed for one user; people may still sign in with their own."""


_target: ApiTarget | None = None


def configure(provider: FastAPIProvider) -> None:
    """Point the UI at the API ``provider`` talks to (its URL, timeout and default token)."""
    global _target
    _target = ApiTarget(provider.base_url, provider.timeout, provider.token)


def target() -> ApiTarget:
    """The configured API, or the one ``AGENTJOBS_API_URL`` names."""
    global _target
    if _target is None:
        settings = ClientSettings()
        _target = ApiTarget(settings.api_url, settings.client_timeout, settings.token_value)
    return _target


def client(token: str = "") -> SyncProvider:
    """A blocking client sending ``token`` (or the configured one when empty)."""
    current = target()
    return _client(current.url, current.timeout, token or current.token)


@lru_cache(maxsize=64)
def _client(url: str, timeout: float, token: str | None) -> SyncProvider:
    # The provider opens a fresh HTTP client per call: safe to share across handler threads.
    return FastAPIProvider(url, token=token, timeout=timeout).sync()
