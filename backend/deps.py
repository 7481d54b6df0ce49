"""FastAPI dependencies, named as ``Annotated`` aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException
from starlette.requests import HTTPConnection

from backend.protocol import JobRecord
from backend.services import Services

STATE_KEY = "agentjobs"


def get_services(conn: HTTPConnection) -> Services:
    """The API process's services, put in the lifespan state by ``FastAPIAdapter``."""
    services: Services = getattr(conn.state, STATE_KEY)
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def get_current_user(services: ServicesDep) -> str:
    """The caller's user id (single-user dev mode until tokens are configured)."""
    return services.settings.default_user


CurrentUser = Annotated[str, Depends(get_current_user)]


async def load_job(services: Services, user: str, job_id: str) -> JobRecord:
    """The caller's job, or 404; another user's job is a 404 too, never a 403."""
    record = await services.store.get(job_id)
    if record is None or record.user != user:
        raise HTTPException(status_code=404, detail=f"job {job_id!r} not found")
    return record
