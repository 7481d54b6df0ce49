"""A job's event log: ``GET /jobs/{id}/events`` (a page of JSON) and ``WS /jobs/{id}/ws`` (live)."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Query, WebSocket
from fastapi.responses import JSONResponse, Response

from backend.deps import CurrentUser, ServicesDep, get_current_user, get_services, load_job
from backend.socket_session import SocketSession

router = APIRouter(tags=["events"])

CURSOR_PATTERN = r"^(0|\d{1,20}-\d{1,20})$"
Cursor = Annotated[
    str, Query(pattern=CURSOR_PATTERN, description="Return events after this event id; 0 for all")
]


@router.get("/jobs/{job_id}/events", responses={404: {"description": "No such job"}})
async def read_events(
    job_id: str,
    services: ServicesDep,
    user: CurrentUser,
    after: Cursor = "0",
    limit: Annotated[int, Query(ge=1, le=1000)] = 1000,
) -> Response:
    """The job's events after the cursor ``after``, oldest first (``EventPage``)."""
    await load_job(services, user, job_id)
    events = await services.store.read_events(job_id, after, limit)
    next_after = events[-1].id if len(events) == limit else None
    # The events are stored as JSON already: splice them rather than re-serialise.
    body = '{"events":[' + ",".join(e.json for e in events) + '],"next_after":'
    body += f'"{next_after}"' if next_after else "null"
    return Response(body + "}", media_type="application/json")


@router.websocket("/jobs/{job_id}/ws")
async def job_socket(websocket: WebSocket, job_id: str, after: str = "0") -> None:
    """Replays the events after ``after``, then streams live ones; takes input/cancel frames."""
    services = get_services(websocket)
    user = get_current_user(services)
    if not re.match(CURSOR_PATTERN, after):
        await websocket.send_denial_response(
            JSONResponse({"detail": f"invalid cursor {after!r}"}, status_code=422)
        )
        return
    record = await services.store.get(job_id)
    if record is None or record.user != user:
        await websocket.send_denial_response(
            JSONResponse({"detail": f"job {job_id!r} not found"}, status_code=404)
        )
        return
    await websocket.accept()
    await SocketSession(websocket, services, user, job_id).run(after)
