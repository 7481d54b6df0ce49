"""``GET /workflows``: the catalog workers published, with the live workers serving each."""

from __future__ import annotations

from fastapi import APIRouter

from agentjobs.protocol import WorkflowInfo
from backend.deps import CurrentUser, ServicesDep

router = APIRouter(tags=["workflows"])


@router.get("/workflows")
async def list_workflows(services: ServicesDep, _user: CurrentUser) -> list[WorkflowInfo]:
    """The workflows: name, description, params schema, and the live workers serving each."""
    return await services.store.catalog(services.settings.worker_seen_seconds)
