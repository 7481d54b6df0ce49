"""The inbox routes: the caller's pending requests across jobs, and answering one of them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, WebSocket

from agentjobs.protocol import Inbox, InboxAnswer, InputAnswer, JobRecord
from backend.access import load_visible_job
from backend.deps import CurrentUser, ServicesDep, get_services
from backend.inbox import inbox_count, read_inbox, request_job
from backend.inbox_socket import follow_inbox
from backend.routes.jobs import IdempotencyKey, answer_or_refuse
from backend.socket_cap import admitted_socket
from backend.socket_handshake import authenticate_handshake, store_trouble_denied

router = APIRouter(tags=["inbox"])


@router.get("/inbox")
async def get_inbox(
    services: ServicesDep,
    user: CurrentUser,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Inbox:
    """The caller's pending requests, oldest first: their own jobs' unassigned ones and
    those assigned to them."""
    items = await read_inbox(services.redis, user, limit)
    count = await inbox_count(services.redis, user)
    return Inbox(items=items, count=max(count, len(items)))


@router.post(
    "/inbox/{request_id}",
    responses={
        403: {"description": "The request is addressed to someone else"},
        404: {"description": "No such request in a job the caller may see"},
        409: {"description": "Answered already (`detail` names by whom), or not pending"},
        413: {"description": "Answer too large"},
        422: {"description": "The value does not fit the request (`detail` names the field)"},
    },
)
async def answer_request(
    request_id: str,
    body: InboxAnswer,
    services: ServicesDep,
    user: CurrentUser,
    idempotency_key: IdempotencyKey = None,
) -> JobRecord:
    """Answer one request (as ``POST /jobs/{id}/input`` does); returns its job after it."""
    job_id = await request_job(services.redis, request_id)
    if job_id is None:
        raise HTTPException(404, f"request {request_id!r} not found")
    record = await load_visible_job(services, user, job_id)
    answer = InputAnswer(request_id=request_id, value=body.value)
    await answer_or_refuse(services, record, answer, user, idempotency_key)
    return await load_visible_job(services, user, job_id)


@router.websocket("/inbox/ws")
@store_trouble_denied
async def inbox_socket(websocket: WebSocket) -> None:
    """Sends ``{"type": "inbox", "count": n}`` at once and whenever the caller's inbox changes.

    Authenticated before the handshake completes (401 without a valid token); counts against
    ``max_sockets_per_user`` like a job's socket (429 past it).
    """
    services = get_services(websocket)
    user = await authenticate_handshake(websocket)
    if user is None:
        return
    async with admitted_socket(websocket, services, user) as admitted:
        if not admitted:
            return
        await websocket.accept()
        await follow_inbox(websocket, services.redis, user)
