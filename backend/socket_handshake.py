"""Before a job socket is accepted: who is asking, and refusals as HTTP answers, not crashes.

A socket is refused with an HTTP response (the ASGI denial-response extension) naming the
problem, as a route would answer: 401, 404, 422, 429, and 503 with ``Retry-After`` when the job
store is in trouble during the handshake (it was an ERROR traceback and an HTTP 500).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import ParamSpec

from fastapi.responses import JSONResponse
from starlette import status
from starlette.websockets import WebSocket, WebSocketState

from backend.auth import AuthError
from backend.deps import get_authenticator
from backend.http_errors import STORE_ERRORS, STORE_RETRY_AFTER_SECONDS, STORE_UNAVAILABLE
from backend.socket_close import close_within

log = logging.getLogger(__name__)
P = ParamSpec("P")

_DENIED: ContextVar[bool] = ContextVar("agentjobs_handshake_denied", default=False)
"""Set in the connection's task when its handshake was refused with an HTTP answer."""
_UVICORN_NOT_COMPLETED = "ASGI callable returned without completing handshake."


class DeniedHandshakeFilter(logging.Filter):
    """Lowers uvicorn's ERROR after a handshake we refused on purpose to INFO.

    uvicorn's websockets-sansio protocol does not count a denial response as a completed
    handshake, so every refused socket (a wrong token, anyone's) logged an ERROR; the
    refusal itself is already logged at INFO ("connection rejected"). uvicorn logs this line
    in the connection's own task after the app returns, so the app's context is still set.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.getMessage() == _UVICORN_NOT_COMPLETED and _DENIED.get():
            record.levelno, record.levelname = logging.INFO, "INFO"
            record.msg, record.args = "handshake refused with an HTTP answer", ()
        return True


def install_denied_handshake_filter() -> None:
    """Add the filter to uvicorn's error logger (once; safe to call again)."""
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, DeniedHandshakeFilter) for f in logger.filters):
        logger.addFilter(DeniedHandshakeFilter())


def store_trouble_denied(
    endpoint: Callable[P, Awaitable[None]],
) -> Callable[P, Awaitable[None]]:
    """Wrap a WebSocket endpoint (its first argument the socket): job store trouble before the
    socket is accepted refuses the handshake with a 503; after, the session closes it itself."""

    @functools.wraps(endpoint)
    async def guarded(*args: P.args, **kwargs: P.kwargs) -> None:
        websocket = args[0] if args else kwargs["websocket"]
        assert isinstance(websocket, WebSocket)
        try:
            await endpoint(*args, **kwargs)
        except STORE_ERRORS as exc:
            if websocket.client_state is not WebSocketState.CONNECTING:
                # Accepted: the client resumes from its cursor, as after any store failure.
                log.warning("%s: job store unavailable: %r", websocket.url.path, exc)
                await close_within(websocket, status.WS_1011_INTERNAL_ERROR, STORE_UNAVAILABLE, 2.0)
                return
            log.warning(
                "%s: job store unavailable during the handshake: %r", websocket.url.path, exc
            )
            retry = {"Retry-After": str(STORE_RETRY_AFTER_SECONDS)}
            await deny_handshake(websocket, 503, STORE_UNAVAILABLE, retry)

    return guarded


async def authenticate_handshake(websocket: WebSocket) -> str | None:
    """The user a socket's handshake authenticates, or None once it was refused (HTTP 401)."""
    try:
        return get_authenticator(websocket).authenticate(websocket)
    except AuthError as exc:
        await deny_handshake(websocket, 401, exc.detail, {"WWW-Authenticate": exc.challenge})
        return None


async def deny_handshake(
    websocket: WebSocket, status_code: int, detail: str, headers: dict[str, str] | None = None
) -> None:
    """Refuse the handshake with an HTTP response (JSON ``detail``), never accepting the socket.

    Servers without the ASGI denial-response extension get a close before accept instead,
    which the client sees as HTTP 403.
    """
    _DENIED.set(True)
    if "websocket.http.response" in websocket.scope.get("extensions", {}):
        response = JSONResponse({"detail": detail}, status_code=status_code, headers=headers)
        await websocket.send_denial_response(response)
    else:
        await websocket.close(status.WS_1008_POLICY_VIOLATION, reason=detail[:120])
