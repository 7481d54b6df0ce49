"""HTTP error answers the framework leaves incomplete or wrong.

Starlette answers 405 with the methods of the first route whose path matched, so ``GET /jobs``
and ``POST /jobs`` (two routes) would each claim to be the only one. And an error of the job
store (Redis down, restarting, or full) would surface as a 500 with a traceback: it is
infrastructure trouble a client should retry, so it is a 503 with ``Retry-After`` whose body
names no internal address. ``create_app`` installs the handlers; an app mounting the router
itself may add them the same way.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from redis.exceptions import RedisError, ResponseError
from starlette.exceptions import HTTPException
from starlette.routing import Match

from backend.validation_errors import validation_error

log = logging.getLogger(__name__)

_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
STORE_RETRY_AFTER_SECONDS = 5
"""What a 503 for job store trouble tells clients to wait before retrying."""
STORE_UNAVAILABLE = "the job store is unavailable (down, restarting or full): try again shortly"


def allowed_methods(app: FastAPI, request: Request) -> set[str]:
    """Every method some route of ``app`` serves at the request's path."""
    # Probing each method asks the routers themselves, however they nest included routers.
    allowed: set[str] = set()
    for method in _METHODS:
        probe = {**request.scope, "method": method}
        if any(route.matches(probe)[0] is Match.FULL for route in app.router.routes):
            allowed.add(method)
    return allowed


async def complete_http_error(request: Request, exc: Exception) -> Response:
    """FastAPI's own JSON error answer, with a 405's ``Allow`` header made complete."""
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        methods = allowed_methods(request.app, request)
        if methods:
            exc.headers = {**(exc.headers or {}), "Allow": ", ".join(sorted(methods))}
    return await http_exception_handler(request, exc)


def store_unavailable_response() -> JSONResponse:
    """The 503 for job store trouble: a fixed text (the Redis error names hosts and ports)."""
    return JSONResponse(
        {"detail": STORE_UNAVAILABLE},
        status_code=503,
        headers={"Retry-After": str(STORE_RETRY_AFTER_SECONDS)},
    )


async def store_error(request: Request, exc: Exception) -> Response:
    """A Redis error no route handled: 503, never a 500; nothing changed was half-written
    (every change of a job is one script, which Redis runs whole or refuses)."""
    if isinstance(exc, ResponseError) and not _is_infrastructure(exc):
        log.error("%s %s: job store error", request.method, request.url.path, exc_info=exc)
    else:
        log.warning("%s %s: job store unavailable: %s", request.method, request.url.path, exc)
    return store_unavailable_response()


def _is_infrastructure(exc: ResponseError) -> bool:
    # OOM (maxmemory), LOADING (restarting), READONLY (failover), MISCONF (disk) and BUSY
    # are the server's state; any other refusal of a command is a bug worth a traceback.
    text = str(exc).split(" ", 1)[0].upper()
    return text in {"OOM", "LOADING", "READONLY", "MISCONF", "BUSY", "MASTERDOWN", "TRYAGAIN"}


STORE_ERRORS: tuple[type[Exception], ...] = (RedisError, OSError)
"""What the job store raises when Redis is down, restarting or full."""


def install_http_error_handlers(app: FastAPI) -> None:
    """Answer HTTP errors through ``complete_http_error``, 422s through ``validation_error``,
    job store trouble through ``store_error``."""
    app.add_exception_handler(HTTPException, complete_http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    for error in STORE_ERRORS:
        app.add_exception_handler(error, store_error)
