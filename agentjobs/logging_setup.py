"""Process logging for the API and the worker: one handler, optional JSON, job context on each line.

The job a line is about (id, workflow, user) lives in context variables: the API binds them per
request or WebSocket, the worker per task. A filter copies them onto every record, so lines from
any library (Celery, uvicorn, AutoGen) logged while serving a job carry them too. With traces on
(``agentjobs.tracing``), the filter adds the current span's ``trace_id`` the same way.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from datetime import UTC, datetime
from typing import Any

JOB_FIELDS = ("job_id", "workflow", "user")
"""The job context every line about a job carries."""
LINE_FIELDS = (*JOB_FIELDS, "trace_id")
"""Everything a line may carry after its message: the job context and the trace."""

_context: ContextVar[dict[str, str] | None] = ContextVar("agentjobs_log_context", default=None)

# Loggers that install handlers of their own; they propagate to ours instead, so every line
# has one format.
_OWN_HANDLERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "gunicorn.error", "gunicorn.access")
_HANDLER_NAME = "agentjobs"


def _no_trace() -> str | None:
    return None


_trace_id: Callable[[], str | None] = _no_trace


def use_trace_ids(source: Callable[[], str | None]) -> None:
    """Put ``source()`` (the current trace id, or None) on every line as ``trace_id``."""
    global _trace_id
    _trace_id = source


def bind_job(**fields: str | None) -> Token[dict[str, str] | None]:
    """Add job fields (``job_id``, ``workflow``, ``user``) to the current context."""
    current = dict(_context.get() or {})
    current.update({key: value for key, value in fields.items() if value})
    return _context.set(current)


def unbind(token: Token[dict[str, str] | None]) -> None:
    """Restore the context as it was before ``bind_job`` returned ``token``."""
    _context.reset(token)


def clear_job() -> None:
    """Forget the job context (a worker thread moves on to the next task)."""
    _context.set(None)


@contextmanager
def job_context(**fields: str | None) -> Iterator[None]:
    """Bind job fields for the block."""
    token = bind_job(**fields)
    try:
        yield
    finally:
        unbind(token)


def current_job() -> dict[str, str]:
    """The job fields bound right now (empty outside a job)."""
    return dict(_context.get() or {})


class JobContextFilter(logging.Filter):
    """Puts the bound job fields on each record (``record.job_id`` and so on, or None), and the
    current trace id (``record.trace_id``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        bound = _context.get() or {}
        for key in JOB_FIELDS:
            # An explicit ``extra={"job_id": ...}`` wins over the context.
            if getattr(record, key, None) is None:
                setattr(record, key, bound.get(key))
        if getattr(record, "trace_id", None) is None:
            record.trace_id = _trace_id()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, job fields, exception."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in LINE_FIELDS:
            value = getattr(record, key, None)
            if value is not None:
                line[key] = value
        if record.exc_info:
            line["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


class TextFormatter(logging.Formatter):
    """Human-readable lines; the job fields follow the message in brackets when bound."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        fields = [f"{k}={getattr(record, k)}" for k in LINE_FIELDS if getattr(record, k, None)]
        if not fields:
            return text
        head, newline, rest = text.partition("\n")  # keep a traceback below the bracket
        return f"{head} [{' '.join(fields)}]{newline}{rest}"


def configure_logging(*, json_lines: bool, level: str | int = "INFO") -> logging.Handler:
    """Send every log line of the process through one handler on stderr (idempotent)."""
    root = logging.getLogger()
    root.handlers = [h for h in root.handlers if h.get_name() != _HANDLER_NAME]
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(JsonFormatter() if json_lines else TextFormatter())
    handler.addFilter(JobContextFilter())
    root.addHandler(handler)
    root.setLevel(level)
    for name in _OWN_HANDLERS:
        logger = logging.getLogger(name)
        logger.handlers = []
        logger.propagate = True
    return handler
