"""Who is calling, and with which services: read from the HTTP request behind an MCP message."""

from __future__ import annotations

from typing import Any

from mcp.server.context import ServerRequestContext
from starlette.requests import HTTPConnection

from backend.deps import get_services
from backend.services import Services

USER_SCOPE_KEY = "agentjobs.mcp.user"
"""Where ``McpAuth`` puts the authenticated user id in the ASGI scope."""

Ctx = ServerRequestContext[Any, Any]
"""The context the SDK hands every MCP handler."""


def caller(ctx: Ctx) -> tuple[Services, str]:
    """The API process's services and the user whose token the MCP request carried."""
    request = ctx.request
    if not isinstance(request, HTTPConnection) or USER_SCOPE_KEY not in request.scope:
        # Only reachable if the server were served without McpAuth in front of it.
        raise RuntimeError("an MCP request reached agentjobs without an authenticated user")
    return get_services(request), str(request.scope[USER_SCOPE_KEY])
