"""FastAPI dependencies, named as ``Annotated`` aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException
from fastapi.security import APIKeyQuery, HTTPBearer
from starlette.requests import HTTPConnection

from agentjobs.protocol import JobRecord
from backend.auth import QUERY_PARAM, Authenticator, AuthError
from backend.services import Services

STATE_KEY = "agentjobs"
AUTH_STATE_KEY = "agentjobs_auth"

# Declared for the OpenAPI document (the "Authorize" button); the Authenticator reads the
# credentials itself so HTTP routes and the WebSocket share one code path.
_bearer_doc = HTTPBearer(auto_error=False, description="Authorization: Bearer <token>")
_query_doc = APIKeyQuery(name=QUERY_PARAM, auto_error=False, description="for browsers' WebSockets")


def get_services(conn: HTTPConnection) -> Services:
    """The API process's services, put in the lifespan state by ``FastAPIAdapter``."""
    services: Services = getattr(conn.state, STATE_KEY)
    return services


# The dependencies are coroutines although they never wait: FastAPI runs a plain ``def``
# dependency in its thread pool, a thread hop per request (6% of the API's CPU in the
# throughput benchmark).
async def _services(conn: HTTPConnection) -> Services:
    return get_services(conn)


ServicesDep = Annotated[Services, Depends(_services)]


def get_authenticator(conn: HTTPConnection) -> Authenticator:
    """The API process's authenticator, put in the lifespan state by ``FastAPIAdapter``."""
    authenticator: Authenticator = getattr(conn.state, AUTH_STATE_KEY)
    return authenticator


async def get_current_user(
    conn: HTTPConnection,
    _bearer: Annotated[object, Depends(_bearer_doc)] = None,
    _query: Annotated[object, Depends(_query_doc)] = None,
) -> str:
    """The caller's user id from the bearer token; 401 when it is missing or unknown."""
    try:
        return get_authenticator(conn).authenticate(conn)
    except AuthError as exc:
        raise HTTPException(401, exc.detail, headers={"WWW-Authenticate": exc.challenge}) from exc


CurrentUser = Annotated[str, Depends(get_current_user)]


async def load_job(services: Services, user: str, job_id: str) -> JobRecord:
    """The caller's job, or 404; another user's job is a 404 too, never a 403."""
    record = await services.store.get(job_id)
    if record is None or record.user != user:
        raise HTTPException(status_code=404, detail=f"job {job_id!r} not found")
    return record
