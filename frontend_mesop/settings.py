"""The chat page's settings: the API it calls, and where the user's browser reaches that API."""

from __future__ import annotations

from agentjobs.client.settings import ClientSettings


class UiSettings(ClientSettings):
    """``ClientSettings`` (``AGENTJOBS_API_URL``, the token, the timeout), plus the API's address
    as browsers see it."""

    browser_api_url: str | None = None
    """The API's base URL as the user's browser reaches it (``AGENTJOBS_BROWSER_API_URL``): the
    page's live sockets connect there. Default: ``AGENTJOBS_API_URL``, which is right when the
    UI server and its users reach the API at one address; behind compose or a proxy the UI
    server's address (``http://api:8008``) means nothing to a browser."""
