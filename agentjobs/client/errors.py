"""The errors an agentjobs client raises: the API is unreachable, or it refused a call."""

from __future__ import annotations

from typing import Any

from agentjobs.protocol.cursors import HTTP_410_CURSOR_TOO_OLD, resume_after_from


class ApiUnreachable(Exception):
    """Nothing answered at the API's URL (connection refused, DNS failure, timeout)."""

    def __init__(self, url: str, reason: BaseException | str) -> None:
        super().__init__(f"the agentjobs API at {url} is unreachable: {reason}")
        self.url = url
        self.reason = reason


class ApiError(Exception):
    """The API answered with an HTTP error; ``detail`` is its ``{"detail": ...}`` payload."""

    def __init__(
        self, status_code: int, detail: Any, method: str = "", path: str = "", body: Any = None
    ) -> None:
        where = f"{method} {path}: " if method else ""
        super().__init__(f"{where}HTTP {status_code}: {describe(detail)}")
        self.status_code = status_code
        self.detail = detail
        self.body = body
        """The whole error body (some errors carry more than ``detail``)."""

    @property
    def resume_after(self) -> str | None:
        """For a 410 (cursor older than the trimmed log): the oldest cursor that reads on.

        None for any other error, and for a 410 that names no cursor (one not from agentjobs).
        """
        if self.status_code != HTTP_410_CURSOR_TOO_OLD:
            return None
        value = self.body.get("resume_after") if isinstance(self.body, dict) else None
        if isinstance(value, str):
            return value
        return resume_after_from(self.detail) if isinstance(self.detail, str) else None

    @property
    def message(self) -> str:
        """The detail as one human-readable line (FastAPI's 422 lists are joined)."""
        return describe(self.detail)


def describe(detail: Any) -> str:
    """A readable line for a FastAPI error detail (a string, or a list of validation errors)."""
    if isinstance(detail, list):
        return "; ".join(_describe_item(item) for item in detail)
    return str(detail)


def _describe_item(item: Any) -> str:
    if isinstance(item, dict) and "msg" in item:
        where = ".".join(str(part) for part in item.get("loc", ()))
        return f"{where}: {item['msg']}" if where else str(item["msg"])
    return str(item)
