"""The Python client of the agentjobs API: ``FastAPIProvider`` (async) and its blocking twin.

Needs only httpx and websockets: importing it pulls in neither the UI nor any service.
"""

from agentjobs.client.errors import ApiError, ApiUnreachable
from agentjobs.client.provider import FastAPIProvider
from agentjobs.client.sync import SyncProvider

__all__ = ["ApiError", "ApiUnreachable", "FastAPIProvider", "SyncProvider"]
