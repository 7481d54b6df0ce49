"""The Mesop chat UI. Its API client is ``agentjobs.FastAPIProvider`` (re-exported here for the
seed's ``from frontend_mesop import FastAPIProvider``)."""

from agentjobs.client import ApiError, ApiUnreachable, FastAPIProvider, SyncProvider

__all__ = ["ApiError", "ApiUnreachable", "FastAPIProvider", "SyncProvider"]
