"""A job's event log: ``GET /jobs/{id}/events`` (a page of JSON) and ``WS /jobs/{id}/ws`` (live)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, WebSocket
from fastapi.responses import JSONResponse, Response

from agentjobs.protocol import (
    CURSOR_PATTERN,
    HTTP_410_CURSOR_TOO_OLD,
    cursor_too_old_body,
    is_cursor,
)
from backend.access import load_visible_job, may_see
from backend.deps import CurrentUser, ServicesDep, get_services
from backend.event_log import CursorTooOld
from backend.socket_cap import admitted_socket
from backend.socket_handshake import authenticate_handshake, deny_handshake, store_trouble_denied
from backend.socket_session import SocketSession

router = APIRouter(tags=["events"])

Cursor = Annotated[
    str, Query(pattern=CURSOR_PATTERN, description="Return events after this event id; 0 for all")
]


@router.get(
    "/jobs/{job_id}/events",
    responses={
        404: {"description": "No such job"},
        HTTP_410_CURSOR_TOO_OLD: {
            "description": "The cursor is older than the oldest event kept (the log was "
            "trimmed): `detail` says so, `resume_after` is the oldest cursor that reads on",
        },
    },
)
async def read_events(
    job_id: str,
    services: ServicesDep,
    user: CurrentUser,
    after: Cursor = "0",
    limit: Annotated[int, Query(ge=1, le=1000)] = 1000,
) -> Response:
    """The job's events after the cursor ``after``, oldest first (``EventPage``): at most
    ``limit`` of them and, past the first, at most ``AGENTJOBS_CATCHUP_PAGE_BYTES`` of JSON."""
    await load_visible_job(services, user, job_id)
    try:
        page = await services.store.read_page(
            job_id, after, limit, services.settings.catchup_page_bytes
        )
    except CursorTooOld as exc:
        gone = cursor_too_old_body(exc.resume_after)
        return JSONResponse(gone, status_code=HTTP_410_CURSOR_TOO_OLD)
    events = page.events
    next_after = events[-1].id if page.more else None
    # The events are stored as JSON already: splice them rather than re-serialise.
    body = '{"events":[' + ",".join(e.json for e in events) + '],"next_after":'
    body += f'"{next_after}"' if next_after else "null"
    return Response(body + "}", media_type="application/json")


@router.websocket("/jobs/{job_id}/ws")
@store_trouble_denied
async def job_socket(websocket: WebSocket, job_id: str, after: str = "0") -> None:
    """Replays the events after ``after``, then streams live ones; takes input/cancel frames.

    Authenticated before the handshake completes: no token or a wrong one gets HTTP 401,
    another user's job 404, a user at ``max_sockets_per_user`` open sockets 429, and the
    socket is never accepted.
    """
    services = get_services(websocket)
    user = await authenticate_handshake(websocket)
    if user is None:
        return
    if not is_cursor(after):
        await deny_handshake(websocket, 422, f"invalid cursor {after!r}")
        return
    record = await services.store.get(job_id)
    if not await may_see(services, record, user):
        await deny_handshake(websocket, 404, f"job {job_id!r} not found")
        return
    async with admitted_socket(websocket, services, user) as admitted:
        if not admitted:
            return
        await websocket.accept()
        await SocketSession(websocket, services, user, job_id).run(after)
