"""The MCP server and its mounting: an ASGI route at ``/mcp`` behind the API's bearer tokens.

The SDK's ``StreamableHTTPSessionManager`` needs its task group running before a request
arrives: ``mcp_router`` returns a router whose lifespan runs it (FastAPI merges a router's
lifespan into the app's; a plain mounted app's lifespan would never run). It is stateless,
so four API processes serve one client with any request going to any of them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI
from mcp.server.lowlevel import Server
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from backend.auth import AuthError
from backend.deps import get_authenticator, get_services
from backend.mcp_server import resources, tools
from backend.mcp_server.caller import USER_SCOPE_KEY
from backend.settings import ApiSettings
from backend.socket_cap import socket_slot, too_many_sockets

MCP_PATH = "/mcp"
INSTRUCTIONS = (
    "Each tool but answer_request and get_job runs an agentjobs workflow as a job and returns "
    "its result. A job that needs a human answer elicits it when the client supports that; "
    "otherwise the tool returns the job id and the question: answer it with answer_request. "
    "Job transcripts are resources at agentjobs://jobs/{job_id}."
)


def build_server() -> Server[Any]:
    """The low-level MCP server: tools from the live catalog, transcripts as resources."""
    return Server(
        "agentjobs",
        version="0.1.0",
        instructions=INSTRUCTIONS,
        # No tool declares x-mcp-header params: skip the SDK's per-call tools/list lookup.
        get_tool_input_schema=lambda _name: None,
        on_list_tools=tools.list_tools,
        on_call_tool=tools.call_tool,
        on_list_resources=resources.list_resources,
        on_list_resource_templates=resources.list_templates,
        on_read_resource=resources.read_resource,
    )


class McpAuth:
    """ASGI wrapper: the caller's bearer token as on the API, 401 without a valid one; and each
    request, while it runs (a tool call lasts as long as its job), holds one of the user's job
    stream slots: 429 at ``AGENTJOBS_MAX_SOCKETS_PER_USER``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        conn = HTTPConnection(scope)
        try:
            user = get_authenticator(conn).authenticate(conn)
        except AuthError as exc:
            headers = {"WWW-Authenticate": exc.challenge}
            await JSONResponse({"detail": exc.detail}, 401, headers)(scope, receive, send)
            return
        scope[USER_SCOPE_KEY] = user
        services = get_services(conn)
        async with socket_slot(services, user) as admitted:
            if not admitted:
                cap = services.settings.max_sockets_per_user
                await JSONResponse({"detail": too_many_sockets(cap)}, 429)(scope, receive, send)
                return
            await self.app(scope, receive, send)


def mcp_router(settings: ApiSettings) -> APIRouter:
    """A router serving MCP at ``/mcp``; include it once per app (it owns a session manager)."""
    manager = StreamableHTTPSessionManager(
        build_server(), stateless=True, max_request_body_size=settings.max_body_bytes
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        async with manager.run():
            yield

    router = APIRouter(lifespan=lifespan)
    endpoint = McpAuth(manager.handle_request)
    router.routes.append(
        # POST only: stateless, there is no session to DELETE nor a standalone GET stream.
        Route(MCP_PATH, endpoint, methods=["POST"], include_in_schema=False)
    )
    return router
