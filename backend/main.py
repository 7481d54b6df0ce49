"""The ready-made API app: ``uvicorn backend.main:app`` or gunicorn with uvicorn workers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, MutableMapping
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from agentjobs.logging_setup import configure_logging
from agentjobs.tracing import configure_tracing, shutdown_tracing
from backend.adapter import FastAPIAdapter
from backend.http_errors import install_http_error_handlers
from backend.limits import BodySizeLimit
from backend.mcp_server import mcp_router
from backend.request_context import JobLogContext
from backend.routes import metrics
from backend.settings import ApiSettings, get_api_settings

UNTRACED_PATHS = ("/health", "/metrics")
"""Paths that never start a trace (health checks and Prometheus scrapes)."""


def create_app(settings: ApiSettings | None = None) -> FastAPI:
    """A FastAPI app serving the agentjobs routes (CORS only for the configured origins)."""
    settings = settings or get_api_settings()
    configure_logging(json_lines=settings.log_json, level=settings.log_level)
    configure_tracing("agentjobs-api", settings)
    app = FastAPI(
        title="agentjobs",
        summary="Run multi-agent AutoGen workflows as jobs: REST + WebSocket",
        version="0.1.0",
        # FastAPI traces requests itself once a tracer provider is set: not probes and scrapes.
        telemetry={"exclude": _untraced},
        lifespan=_traces_flushed,
    )
    app.include_router(FastAPIAdapter(settings).router)
    app.include_router(metrics.router)  # open like /health: Prometheus scrapes without a token
    if settings.mcp_routes:
        app.include_router(mcp_router(settings))  # its own bearer check (McpAuth)
    install_http_error_handlers(app)
    app.add_middleware(JobLogContext)
    # Outermost but CORS: an oversized body is refused before any other layer reads it.
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    if settings.cors_origins:
        # Bearer tokens, not cookies: no credentials mode, so a page needs a token to do anything.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", "Last-Event-ID"],
        )
    return app


def _untraced(scope: MutableMapping[str, Any]) -> bool:
    return scope.get("path") in UNTRACED_PATHS


@asynccontextmanager
async def _traces_flushed(_app: FastAPI) -> AsyncIterator[None]:
    # uvicorn re-raises SIGTERM once it has shut down, so atexit handlers never run: export
    # the last spans here.
    yield
    await asyncio.to_thread(shutdown_tracing)


app = create_app()
