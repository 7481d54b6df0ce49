"""Keeps ``?token=`` values out of the server's logs.

Browsers send the bearer token as a query parameter on WebSockets, and uvicorn logs every
request line and WebSocket handshake with its query string (access log and ``uvicorn.error``).
A filter on those loggers rewrites the value before any handler formats the record.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from backend.auth import QUERY_PARAM

REDACTED = "[redacted]"
_PARAM = re.compile(rf"(?i)(\b{QUERY_PARAM}=)[^&\s\"']*")
SERVER_LOGGERS = ("uvicorn.access", "uvicorn.error", "gunicorn.access", "gunicorn.error")
"""The loggers that print request lines; they log directly, so a filter on each sees it all."""


def redact(text: str) -> str:
    """``text`` with every ``token=<value>`` replaced by ``token=[redacted]``."""
    return _PARAM.sub(rf"\g<1>{REDACTED}", text)


def _redact_arg(value: Any) -> Any:
    return redact(value) if isinstance(value, str) else value


class TokenRedactingFilter(logging.Filter):
    """Redacts token query parameters in a record's message and arguments, keeping their shape.

    The arguments stay a tuple of the same length: uvicorn's access formatter unpacks them.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_redact_arg(arg) for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: _redact_arg(arg) for key, arg in record.args.items()}
        return True


def install_token_redaction(names: tuple[str, ...] = SERVER_LOGGERS) -> None:
    """Add the filter to the server loggers (once each; safe to call again)."""
    for name in names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, TokenRedactingFilter) for f in logger.filters):
            logger.addFilter(TokenRedactingFilter())
