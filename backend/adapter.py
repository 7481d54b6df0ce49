"""``FastAPIAdapter``: the agentjobs routes as one router, mountable into any FastAPI app.

app = FastAPI()
app.include_router(FastAPIAdapter().router)
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI

from backend.deps import STATE_KEY
from backend.routes import events, health, jobs, workflows
from backend.services import open_services
from backend.settings import ApiSettings, get_api_settings


class FastAPIAdapter:
    """Builds the agentjobs API router; its lifespan opens Redis, the relay and the queue."""

    def __init__(self, settings: ApiSettings | None = None, prefix: str = "") -> None:
        self.settings = settings or get_api_settings()
        self.router = APIRouter(prefix=prefix, lifespan=self._lifespan)
        for module in (workflows, jobs, events, health):
            self.router.include_router(module.router)

    @asynccontextmanager
    async def _lifespan(self, _app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        async with open_services(self.settings) as services:
            yield {STATE_KEY: services}
