"""HTTP error answers the framework leaves incomplete: a 405 names every method of its path.

Starlette answers 405 with the methods of the first route whose path matched, so ``GET /jobs``
and ``POST /jobs`` (two routes) would each claim to be the only one. ``create_app`` installs
the handler; an app mounting the router itself may add it the same way.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException
from starlette.routing import Match

from backend.validation_errors import validation_error

_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


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


def install_http_error_handlers(app: FastAPI) -> None:
    """Answer HTTP errors through ``complete_http_error``, 422s through ``validation_error``."""
    app.add_exception_handler(HTTPException, complete_http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
