"""Keeps ``?token=`` values out of the server's logs.

Browsers send the bearer token as a query parameter on WebSockets, and uvicorn logs every
request line and WebSocket handshake with its query string (access log and ``uvicorn.error``).
A filter on those loggers rewrites the value before any handler formats the record.

The server percent-decodes parameter names (``%74oken=`` and ``tok%65n=`` are the token), so the
filter decodes every name it sees (percent escapes, repeatedly, and ``+``), ignores case and
spaces, and redacts the value of every parameter whose name then reads ``token``.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import unquote_plus

from backend.auth import QUERY_PARAM

REDACTED = "[redacted]"
_PAIR = re.compile(r"(?:^|(?<=[?&;\s\"'(\[]))([^=&;?#\s\"']+)=([^&\s\"']*)")
"""A ``name=value`` pair at the start of the text or after a separator; the value may be empty."""
_DECODE_ROUNDS = 4
"""Enough for a name encoded several times over; each round is cheap."""
_ANSWER_LINK = re.compile(r"(/answer/)[^/?#\s\"']+")
"""The token of an answer link (``backend.routes.answer_links``): the path is the credential."""
SERVER_LOGGERS = ("uvicorn.access", "uvicorn.error", "gunicorn.access", "gunicorn.error")
"""The loggers that print request lines; they log directly, so a filter on each sees it all."""


def is_token_name(name: str) -> bool:
    """True when ``name``, however it is encoded or cased, names a token parameter."""
    for _ in range(_DECODE_ROUNDS):
        decoded = unquote_plus(name)
        if decoded == name:
            break
        name = decoded
    # Case and spaces too: ``TOKEN`` and ``tok+en`` are not the parameter the API reads, but a
    # client that spells it so still sent its token.
    return "".join(name.split()).lower() == QUERY_PARAM


def _redact_pair(match: re.Match[str]) -> str:
    if not is_token_name(match.group(1)):
        return match.group(0)
    return f"{match.group(1)}={REDACTED}"


def redact(text: str) -> str:
    """``text`` with the value of every token parameter (any spelling), and every answer
    link's token, redacted."""
    return _ANSWER_LINK.sub(rf"\1{REDACTED}", _PAIR.sub(_redact_pair, text))


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
