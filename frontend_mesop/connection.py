"""Where the UI's API is, and one blocking client per user token for Mesop's handlers.

The UI process holds no run state: only the API's address (set once, from ``UiSettings`` or
from the seed-style ``FastAPIProvider`` an app passes in) and the address browsers reach it
at. Each browser session keeps its own token in Mesop state and gets a client carrying it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from agentjobs.client.provider import FastAPIProvider
from agentjobs.client.sync import SyncProvider
from frontend_mesop.settings import UiSettings


@dataclass(frozen=True)
class ApiTarget:
    """The API the UI talks to."""

    url: str
    browser_url: str
    """The API's URL as browsers reach it (the page's live sockets)."""
    timeout: float = 10.0
    token: str | None = None
    """The token of a UI deployed for one user; people may still sign in with their own."""


_target: ApiTarget | None = None


def configure(provider: FastAPIProvider) -> None:
    """Point the UI at the API ``provider`` talks to (its URL, timeout and default token)."""
    global _target
    browser_url = UiSettings().browser_api_url or provider.base_url
    _target = ApiTarget(provider.base_url, browser_url, provider.timeout, provider.token)


def target() -> ApiTarget:
    """The configured API, or the one ``AGENTJOBS_API_URL`` names."""
    global _target
    if _target is None:
        settings = UiSettings()
        _target = ApiTarget(
            settings.api_url,
            settings.browser_api_url or settings.api_url,
            settings.client_timeout,
            settings.token_value,
        )
    return _target


def client(token: str = "") -> SyncProvider:
    """A blocking client sending ``token`` (or the configured one when empty)."""
    current = target()
    return _client(current.url, current.timeout, token or current.token)


@lru_cache(maxsize=64)
def _client(url: str, timeout: float, token: str | None) -> SyncProvider:
    # The provider opens a fresh HTTP client per call: safe to share across handler threads.
    return FastAPIProvider(url, token=token, timeout=timeout).sync()
