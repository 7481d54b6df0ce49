"""The Mesop chat UI and its API client, ``FastAPIProvider`` (importable without Mesop)."""

from frontend_mesop.errors import ApiError, ApiUnreachable
from frontend_mesop.provider import FastAPIProvider
from frontend_mesop.sync import SyncProvider

__all__ = ["ApiError", "ApiUnreachable", "FastAPIProvider", "SyncProvider"]
