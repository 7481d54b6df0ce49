"""FastAgency's three routes: discovery, initiate (stateless) and the socket that runs a job.

Authenticated like every agentjobs route: ``Authorization: Bearer`` or ``?token=`` (FastAgency's
``FastAPIProvider`` sends no headers, but its paths may carry the query string).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from typing import Any

from fastapi import APIRouter, HTTPException, WebSocket
from pydantic import ValidationError
from redis.exceptions import RedisError
from starlette import status
from starlette.websockets import WebSocketDisconnect

from agentjobs.logging_setup import bind_job
from backend.deps import CurrentUser, ServicesDep, get_services
from backend.fastagency.frames import (
    DiscoveredWorkflow,
    InitiateWorkflow,
    InitiateWorkflowRequest,
    InitiateWorkflowResponse,
)
from backend.fastagency.relay import FastAgencySession
from backend.fastagency.translate import FrameTranslator, RunInfo, error_frame
from backend.job_start import (
    StartRefused,
    accept_job,
    check_create_rate,
    check_start,
)
from backend.relay import Subscription
from backend.services import Services
from backend.socket_cap import admitted_socket
from backend.socket_handshake import authenticate_handshake, store_trouble_denied

log = logging.getLogger(__name__)
router = APIRouter(tags=["fastagency"])


async def discovery(services: ServicesDep, _user: CurrentUser) -> list[DiscoveredWorkflow]:
    """The workflows the workers can run, as FastAgency lists them: name and description."""
    catalog = await services.store.catalog()
    return [DiscoveredWorkflow(name=w.name, description=w.description) for w in catalog]


router.add_api_route("/fastagency/discovery", discovery, methods=["GET"])
# FastAPIProvider joins its base URL and "/fastagency/discovery" with another "/".
router.add_api_route("//fastagency/discovery", discovery, methods=["GET"], include_in_schema=False)


@router.post(
    "/fastagency/initiate_workflow",
    responses={
        404: {"description": "Unknown workflow"},
        413: {"description": "Params too large"},
        422: {"description": "Params failing the workflow's schema"},
        429: {"description": "The caller starts runs faster than the create rate (`Retry-After`)"},
    },
)
async def initiate_workflow(
    body: InitiateWorkflowRequest, services: ServicesDep, user: CurrentUser
) -> InitiateWorkflowResponse:
    """Check a run could start (FastAgency's clients call this first); starts nothing."""
    try:
        await check_start(services, body.workflow_name, body.params)
        await check_create_rate(services, user, take=False)  # the socket's start counts
    except StartRefused as exc:
        raise HTTPException(exc.status_code, exc.detail, headers=exc.headers) from exc
    return InitiateWorkflowResponse(
        user_id=user, workflow_uuid=uuid.uuid4(), name=body.workflow_name, params=body.params
    )


@router.websocket("/fastagency/ws")
@store_trouble_denied
async def fastagency_socket(websocket: WebSocket) -> None:
    """Runs a workflow as an agentjobs job and relays it as FastAgency frames.

    The first client frame names the workflow and its params; the frames carry the job id as
    their ``workflow_uuid``. Authenticated before the handshake completes (HTTP 401); a user at
    ``max_sockets_per_user`` open sockets gets HTTP 429.
    """
    services = get_services(websocket)
    user = await authenticate_handshake(websocket)
    if user is None:
        return
    async with admitted_socket(websocket, services, user) as admitted:
        if not admitted:
            return
        await _run_socket(websocket, services, user)


async def _run_socket(websocket: WebSocket, services: Services, user: str) -> None:
    """Accept, start the job the first frame names, and relay it."""
    await websocket.accept()
    # The job's id is drawn now and its events subscribed to while the first frame comes, so
    # the relay has every event live and never replays the log (SocketHarness.run).
    job_id = uuid.uuid4().hex
    async with contextlib.AsyncExitStack() as watching:
        try:
            watched = await watching.enter_async_context(services.relay.subscribe(job_id))
        except (RedisError, OSError, TimeoutError):
            watched = None  # the start says the store's trouble; the session subscribes after
        await _start_and_relay(websocket, services, user, job_id, watched)


async def _start_and_relay(
    websocket: WebSocket,
    services: Services,
    user: str,
    job_id: str,
    watched: Subscription | None,
) -> None:
    init = await _receive_init(websocket, services)
    if init is None:
        return
    try:
        # The task is queued after the first frame (FastAgencySession.opening), not with the
        # record: building its message would hold the frame ~0.4 ms.
        job = await accept_job(
            services, user, init.name, init.params, job_id=job_id, with_task=False
        )
    except StartRefused as exc:
        await _refuse_start(websocket, init, f"Workflow {init.name!r} not started", exc)
        return
    except (RedisError, OSError) as exc:
        await _refuse_start(websocket, init, "Job store unavailable", exc)
        return
    bind_job(job_id=job.job_id, workflow=init.name, user=user)
    info = job.info
    run = RunInfo(job.job_id, name=info.name, description=info.description, params=init.params)
    await FastAgencySession(websocket, services, user, FrameTranslator(run), job).run(
        born_watched=watched
    )


async def _receive_init(websocket: WebSocket, services: Services) -> InitiateWorkflow | None:
    """The client's first frame, or None after refusing it (error frame, close)."""
    timeout = services.settings.fastagency_init_timeout_seconds
    try:
        async with asyncio.timeout(timeout):
            text = await websocket.receive_text()
    except WebSocketDisconnect:
        return None
    except TimeoutError:
        await _close_with_error(websocket, "", "No first frame", f"nothing sent in {timeout} s")
        return None
    except KeyError:  # a binary first frame
        text = ""
    try:
        return InitiateWorkflow.model_validate_json(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "frame"
        detail = f"the first frame must be {{user_id, workflow_uuid, name, params}}: {where}: "
        await _close_with_error(websocket, "", "Invalid first frame", detail + first["msg"])
        return None


async def _refuse_start(
    websocket: WebSocket, init: InitiateWorkflow, short: str, exc: Exception
) -> None:
    # No job exists: the error carries the client's own UUID back, reaching only this socket.
    long = _describe(exc.detail) if isinstance(exc, StartRefused) else f"try again: {exc}"
    await _close_with_error(websocket, init.workflow_uuid.hex, short, long)


async def _close_with_error(
    websocket: WebSocket, workflow_uuid: str, short: str, long: str
) -> None:
    """Tell the client why with an ``error`` frame, then close cleanly (1000)."""
    with contextlib.suppress(RuntimeError, WebSocketDisconnect):
        await websocket.send_text(error_frame(workflow_uuid, short, long).model_dump_json())
        await websocket.close(status.WS_1000_NORMAL_CLOSURE, short[:120])


def _describe(detail: str | list[dict[str, Any]]) -> str:
    """A refusal in words: params errors (FastAPI-style items) as ``field: message`` lines."""
    if isinstance(detail, str):
        return detail
    lines = [
        ".".join(str(part) for part in item["loc"][2:]) + ": " + item["msg"] for item in detail
    ]
    return "params failing the workflow's schema:\n" + "\n".join(lines)
