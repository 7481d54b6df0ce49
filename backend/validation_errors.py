"""The 422 answer to a request that failed validation, safe for inputs that are not UTF-8.

FastAPI's own handler echoes each error's ``input``; when that input holds a lone surrogate
(valid JSON, no UTF-8 encoding) the answer itself fails to encode and the client gets a 500.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic_core import PydanticCustomError

from agentjobs.protocol.utf8 import check_utf8


def _encodable(value: Any) -> bool:
    try:
        check_utf8(value)
    except PydanticCustomError:
        return False
    return True


def _safe(error: dict[str, Any]) -> dict[str, Any]:
    """The error item, without its ``input`` when that cannot be sent back."""
    if "input" in error and not _encodable(error["input"]):
        return {key: item for key, item in error.items() if key != "input"}
    return error


async def validation_error(request: Request, exc: Exception) -> Response:
    """FastAPI's 422 body (``{"detail": [errors]}``), leaving out inputs that are not UTF-8."""
    assert isinstance(exc, RequestValidationError)
    errors = [_safe(error) for error in jsonable_encoder(exc.errors())]
    return JSONResponse({"detail": errors}, status_code=422)
