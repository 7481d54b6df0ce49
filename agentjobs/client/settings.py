"""Settings of the API's clients (the Mesop UI and the console), from ``AGENTJOBS_*`` variables."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class ClientSettings(BaseSettings):
    """Where the API is and how to authenticate to it."""

    model_config = SettingsConfigDict(env_prefix="AGENTJOBS_", env_file=".env", extra="ignore")

    api_url: str = "http://127.0.0.1:8008"
    """Base URL of the agentjobs API (``AGENTJOBS_API_URL``)."""
    token: SecretStr | None = None
    """Bearer token sent to the API when it requires one (``AGENTJOBS_TOKEN``)."""
    client_timeout: float = Field(default=10.0, gt=0)
    """Seconds one HTTP call (or WebSocket handshake) may take (``AGENTJOBS_CLIENT_TIMEOUT``)."""

    @property
    def token_value(self) -> str | None:
        """The token as plain text, or None when none is configured."""
        return self.token.get_secret_value() if self.token else None
