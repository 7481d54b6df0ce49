"""``GET /workflows``: the catalog workers published."""

from __future__ import annotations

from fastapi import APIRouter

from agentjobs.protocol import WorkflowInfo
from backend.deps import CurrentUser, ServicesDep

router = APIRouter(tags=["workflows"])


@router.get("/workflows")
async def list_workflows(services: ServicesDep, _user: CurrentUser) -> list[WorkflowInfo]:
    """The workflows the workers can run: name, description and params JSON schema."""
    return await services.store.catalog()
