"""The ready-made API app: ``uvicorn backend.main:app`` or gunicorn with uvicorn workers."""

from __future__ import annotations

from fastapi import FastAPI

from backend.adapter import FastAPIAdapter


def create_app() -> FastAPI:
    """A FastAPI app serving the agentjobs routes."""
    app = FastAPI(
        title="agentjobs",
        summary="Run multi-agent AutoGen workflows as jobs: REST + WebSocket",
        version="0.1.0",
    )
    app.include_router(FastAPIAdapter().router)
    return app


app = create_app()
