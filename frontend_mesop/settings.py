"""The chat page's settings: the API it calls, and where the user's browser reaches that API."""

from __future__ import annotations

from pydantic import field_validator

from agentjobs.client.settings import ClientSettings
from agentjobs.protocol.webhooks import absolute_http_url


class UiSettings(ClientSettings):
    """``ClientSettings`` (``AGENTJOBS_API_URL``, the token, the timeout), plus the API's address
    as browsers see it."""

    browser_api_url: str | None = None
    """The API's base URL as the user's browser reaches it (``AGENTJOBS_BROWSER_API_URL``): the
    page's live sockets connect there. Default: ``AGENTJOBS_API_URL``, which is right when the
    UI server and its users reach the API at one address; behind compose or a proxy the UI
    server's address (``http://api:8008``) means nothing to a browser."""

    @field_validator("browser_api_url")
    @classmethod
    def _absolute_http(cls, url: str | None) -> str | None:
        return absolute_http_url(url)
