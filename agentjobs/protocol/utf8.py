"""String types for what clients send: every string must be encodable as UTF-8.

JSON can carry a lone surrogate (``"\\ud800"``) that Python decodes into a ``str`` no UTF-8
encoding exists for: pydantic accepts it, and the first Redis write (or the JSON answer that
echoes it) fails with a 500. The input models use these types, so such a string is a 422.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

from agentjobs.protocol.events import AnswerValue

_MAX_DEPTH = 64
"""Deeper JSON than this is not walked further (it cannot come from a body within the limits)."""


def _refuse(where: str) -> PydanticCustomError:
    at = f" at {where}" if where else ""
    return PydanticCustomError(
        "utf8", "a string{at} is not valid UTF-8 (it holds a lone surrogate)", {"at": at}
    )


def _encodable(text: str) -> bool:
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _first_bad(value: Any, path: str, depth: int = 0) -> str | None:
    """The path of the first string (or key) in ``value`` that is not UTF-8, or None."""
    if isinstance(value, str):
        return None if _encodable(value) else path
    if depth > _MAX_DEPTH:
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and not _encodable(key):
                return f"{path}.<key>" if path else "<key>"
            bad = _first_bad(item, f"{path}.{key}" if path else str(key), depth + 1)
            if bad is not None:
                return bad
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            bad = _first_bad(item, f"{path}.{index}" if path else str(index), depth + 1)
            if bad is not None:
                return bad
    return None


def check_utf8(value: Any) -> Any:
    """``value`` unchanged when every string in it (keys too) is UTF-8; else a validation error."""
    bad = _first_bad(value, "")
    if bad is not None:
        # The path names keys that are themselves valid UTF-8 only: it is safe to echo.
        raise _refuse(bad)
    return value


Utf8Str = Annotated[str, AfterValidator(check_utf8)]
"""A string a client sent: refused unless it is valid UTF-8."""
Utf8Json = Annotated[dict[str, Any], AfterValidator(check_utf8)]
"""A JSON object a client sent (params): refused unless every key and string is UTF-8."""
CheckedAnswer = Annotated[AnswerValue, AfterValidator(check_utf8)]
"""An answer a client sent: one error for the field, whichever form it took."""
