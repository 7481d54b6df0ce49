"""``FastAPIAdapter``: the agentjobs routes as one router, mountable into any FastAPI app.

app = FastAPI()
app.include_router(FastAPIAdapter().router)
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute

from agentjobs.gc_tuning import freeze_startup_objects
from backend import agui, fastagency
from backend.auth import Authenticator
from backend.deps import AUTH_STATE_KEY, STATE_KEY
from backend.log_redaction import install_token_redaction
from backend.routes import answer_links, events, health, inbox, jobs, usage, webhooks, workflows
from backend.services import open_services
from backend.settings import ApiSettings, get_api_settings
from backend.socket_handshake import install_denied_handshake_filter

_UNAUTHORIZED: dict[int | str, dict[str, Any]] = {
    401: {"description": "Missing or invalid bearer token"}
}
_BODY_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "The body could not be read as JSON text (e.g. not UTF-8)"},
    413: {"description": "The body is larger than the API accepts (AGENTJOBS_MAX_BODY_BYTES)"},
}


def _document_body_errors(router: APIRouter) -> None:
    """Document the errors any route taking a JSON body may answer before it runs."""
    for route in router.routes:
        if isinstance(route, APIRoute) and route.body_field is not None:
            for code, doc in _BODY_ERRORS.items():
                route.responses.setdefault(code, doc)  # a route's own wording wins


class FastAPIAdapter:
    """Builds the agentjobs API router; its lifespan opens Redis, the relay and the queue."""

    def __init__(self, settings: ApiSettings | None = None, prefix: str = "") -> None:
        self.settings = settings or get_api_settings()
        self.router = APIRouter(prefix=prefix, lifespan=self._lifespan)
        for module in (workflows, jobs, events, inbox, usage, webhooks):
            _document_body_errors(module.router)
            self.router.include_router(module.router, responses=_UNAUTHORIZED)
        if self.settings.fastagency_routes:
            _document_body_errors(fastagency.router)
            self.router.include_router(fastagency.router, responses=_UNAUTHORIZED)
        if self.settings.agui_routes:
            _document_body_errors(agui.router)
            self.router.include_router(agui.router, responses=_UNAUTHORIZED)
        # Open on purpose: the link's token is the credential (docs/humans.md).
        self.router.include_router(answer_links.router)
        # Open on purpose: load balancers probe it; it shows no job data.
        self.router.include_router(health.router)

    @asynccontextmanager
    async def _lifespan(self, _app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        # After the server configured its logging, before it serves a request.
        install_token_redaction()
        install_denied_handshake_filter()
        authenticator = Authenticator.from_settings(self.settings)
        async with open_services(self.settings) as services:
            freeze_startup_objects()
            yield {STATE_KEY: services, AUTH_STATE_KEY: authenticator}
