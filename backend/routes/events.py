"""A job's event log: ``GET /jobs/{id}/events`` (a page of JSON) and ``WS /jobs/{id}/ws`` (live)."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Query, WebSocket
from fastapi.responses import JSONResponse, Response
from starlette import status

from backend.auth import AuthError
from backend.deps import CurrentUser, ServicesDep, get_authenticator, get_services, load_job
from backend.socket_session import SocketSession, cursor_too_old_detail
from backend.store import CursorTooOld

router = APIRouter(tags=["events"])

# 19 digits a half: always within the unsigned 64 bits Redis allows (a 20-digit number may not
# be), and far past any real stream id (13-digit milliseconds, small sequence numbers). ASCII
# digits only: \d would take any script's digits, which Redis refuses.
CURSOR_PATTERN = r"^(0|[0-9]{1,19}-[0-9]{1,19})$"
Cursor = Annotated[
    str, Query(pattern=CURSOR_PATTERN, description="Return events after this event id; 0 for all")
]


@router.get(
    "/jobs/{job_id}/events",
    responses={
        404: {"description": "No such job"},
        410: {
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
    """The job's events after the cursor ``after``, oldest first (``EventPage``)."""
    await load_job(services, user, job_id)
    try:
        events = await services.store.read_events(job_id, after, limit)
    except CursorTooOld as exc:
        return JSONResponse(
            {"detail": cursor_too_old_detail(exc), "resume_after": exc.resume_after},
            status_code=410,
        )
    next_after = events[-1].id if len(events) == limit else None
    # The events are stored as JSON already: splice them rather than re-serialise.
    body = '{"events":[' + ",".join(e.json for e in events) + '],"next_after":'
    body += f'"{next_after}"' if next_after else "null"
    return Response(body + "}", media_type="application/json")


@router.websocket("/jobs/{job_id}/ws")
async def job_socket(websocket: WebSocket, job_id: str, after: str = "0") -> None:
    """Replays the events after ``after``, then streams live ones; takes input/cancel frames.

    Authenticated before the handshake completes: no token or a wrong one gets HTTP 401,
    another user's job 404, and the socket is never accepted.
    """
    services = get_services(websocket)
    try:
        user = get_authenticator(websocket).authenticate(websocket)
    except AuthError as exc:
        await deny_handshake(websocket, 401, exc.detail, {"WWW-Authenticate": exc.challenge})
        return
    if not re.match(CURSOR_PATTERN, after):
        await deny_handshake(websocket, 422, f"invalid cursor {after!r}")
        return
    record = await services.store.get(job_id)
    if record is None or record.user != user:
        await deny_handshake(websocket, 404, f"job {job_id!r} not found")
        return
    await websocket.accept()
    await SocketSession(websocket, services, user, job_id).run(after)


async def deny_handshake(
    websocket: WebSocket, status_code: int, detail: str, headers: dict[str, str] | None = None
) -> None:
    """Refuse the handshake with an HTTP response (JSON ``detail``), never accepting the socket.

    Servers without the ASGI denial-response extension get a close before accept instead,
    which the client sees as HTTP 403.
    """
    if "websocket.http.response" in websocket.scope.get("extensions", {}):
        response = JSONResponse({"detail": detail}, status_code=status_code, headers=headers)
        await websocket.send_denial_response(response)
    else:
        await websocket.close(status.WS_1008_POLICY_VIOLATION, reason=detail[:120])
